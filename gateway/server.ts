import { serve, type ServerType } from '@hono/node-server';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp } from './app';
import { loadAuth } from './auth/from-config';
import { loadCatalogue } from './catalogue';
import type { Config } from './config';
import { openDatabase, type Database } from './db/client';
import { seedDemo } from './demo/seed';
import { createGrpcDepartmentDirectory } from './departments/grpc-client';
import { startFanoutWorker } from './fanout/worker';
import { loadGatewayKeys, loadUnitPublicKeys } from './keys';
import { openResultStream } from './services/result/read-result';

export interface RunningGateway {
  url: string;
  database: Database;
  close(): Promise<void>;
}

/**
 * Builds and starts one gateway replica from its configuration: database (migrated), HTTP API,
 * fan-out worker and department clients. `seedDemo` writes the demo units and users (development).
 */
export async function startGateway(options: { config: Config; logger: Logger; database?: Database; seedDemo?: boolean }): Promise<RunningGateway> {
  const { config, logger } = options;
  const [catalogue, keys, { tokens, devIssuer }] = await Promise.all([
    loadCatalogue(config.catalogueFile),
    loadGatewayKeys(config.pkiDir),
    loadAuth(config),
  ]);

  const database = options.database ?? (await openDatabase(config.database));
  if (options.seedDemo) {
    if (config.mode !== 'development') throw new Error('demo data is only seeded in development mode (QIAO_MODE=development)');
    const seeded = await seedDemo(database.db, await loadUnitPublicKeys(config.pkiDir));
    logger.info(seeded, 'demo units and users seeded');
  }

  const directory = createGrpcDepartmentDirectory({ tls: keys.tls, endpoints: config.departments });
  const fanout = startFanoutWorker({
    db: database.db,
    directory,
    catalogue,
    logger,
    signer: { privateJwk: keys.warrantKey, pseudonymKey: keys.pseudonymKey, ttlMs: config.fanout.warrantTtlMs },
    workerId: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    pollIntervalMs: 2_000,
    leaseMs: config.fanout.callDeadlineMs + 30_000,
    callDeadlineMs: config.fanout.callDeadlineMs,
    maxAttempts: config.fanout.maxAttempts,
  });

  const app = createApp({
    config,
    db: database.db,
    logger,
    catalogue,
    tokens,
    devIssuer,
    fanout,
    results: { openResultStream: (partId, warrantId) => openResultStream(database.db, partId, warrantId) },
    warrantJwks: keys.warrantJwks,
  });

  const server = await listen(app.fetch, config.http.host, config.http.port);
  const { port } = server.address() as AddressInfo;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  return {
    url: `http://${host}:${port}`,
    database,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fanout.stop();
      await directory.close();
      if (!options.database) await database.close();
    },
  };
}

function listen(fetch: Parameters<typeof serve>[0]['fetch'], hostname: string, port: number): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname, port }, () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`${hostname}:${port} is already in use: stop the other process or set QIAO_HTTP_PORT`) : err),
    );
  });
}
