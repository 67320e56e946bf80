import { serve, type ServerType } from '@hono/node-server';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp } from './app';
import { loadAuth } from './auth/from-config';
import { loadCatalogue } from './catalogue';
import { loadPolicies } from './policy/load-policies';
import { startExpirySweep } from './services/inquiry/expire';
import type { Config } from './config';
import { openDatabase, type Database } from './db/client';
import { seedDemo } from './demo/seed';
import { createGrpcDepartmentDirectory } from './departments/grpc-client';
import { createDepartmentHealth } from './departments/health';
import { FANOUT_DUE_CHANNEL, startFanoutWorker } from './fanout/worker';
import { loadAuditKeys, loadDirectoryAuthorityKey, loadGatewayKeys, loadUnitPublicKeys } from './keys';
import { noteSigner } from '../proto/checkpoint';
import { startCheckpointSchedule } from './services/audit/checkpoints';
import { hashPolicyFiles, recordConfiguration } from './services/audit/record-configuration';
import { createAuditWriter } from './services/audit/commitments';
import { createDenialLimiter, startDenialFlush } from './services/audit/denial-limit';
import { createDownloadSlots } from './services/result/download-slots';
import { openResultStream } from './services/result/read-result';

export interface RunningGateway {
  url: string;
  database: Database;
  /** Runs this replica's fan-out until no department part is due (FanoutWorker.drain): for tests. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Builds and starts one gateway replica from its configuration: database (migrated), HTTP API,
 * fan-out worker and department clients. `seedDemo` writes the demo units and users (development).
 */
export async function startGateway(options: { config: Config; logger: Logger; database?: Database; seedDemo?: boolean }): Promise<RunningGateway> {
  const { config, logger } = options;
  // Policies first: a gateway must not start on rules it cannot trust, whatever else is wrong.
  const catalogue = await loadCatalogue(config.catalogueFile);
  const { policy, approvals } = await loadPolicies(config.policyDir, catalogue, logger);
  const [keys, { tokens, devIssuer }, auditKeys] = await Promise.all([loadGatewayKeys(config.pkiDir), loadAuth(config), loadAuditKeys(config.pkiDir)]);
  // One writer per gateway, handed to every part that appends: the key is never module state.
  const audit = createAuditWriter(auditKeys.commitmentKey);
  const auditCheckpoints = { origin: config.audit.origin, signer: await noteSigner(config.audit.origin, auditKeys.checkpointKey) };

  const database =
    options.database ??
    (await openDatabase(
      'url' in config.database
        ? {
            ...config.database,
            onConnectionError: (err) =>
              logger.warn({ code: (err as { code?: string }).code ?? err.name }, 'database connection lost; the query on it is retried'),
          }
        : config.database,
    ));
  if (options.seedDemo) {
    if (config.mode !== 'development') throw new Error('demo data is only seeded in development mode (QIAO_MODE=development)');
    const seeded = await seedDemo(database.db, await loadUnitPublicKeys(config.pkiDir));
    logger.info(seeded, 'demo units and users seeded');
  }
  const recorded = await recordConfiguration(database.db, {
    policyFiles: await hashPolicyFiles(config.policyDir, config.catalogueFile),
    keys: {
      warrantSigning: keys.warrantKey.kid ?? '(no kid)',
      warrantPublished: keys.warrantJwks.keys.map((k) => k.kid ?? '(no kid)').join(','),
      checkpointSigning: auditKeys.checkpointKey.kid ?? '(no kid)',
      auditCommitment: audit.keyId,
    },
  }, audit);
  if (recorded.length) logger.info({ recorded }, 'policy or key change recorded in the audit log');

  const directory = createGrpcDepartmentDirectory({ tls: keys.tls, endpoints: config.departments });
  const fanout = startFanoutWorker({
    db: database.db,
    directory,
    catalogue,
    logger,
    signer: { privateJwk: keys.warrantKey, pseudonymKey: keys.pseudonymKey, ttlMs: config.fanout.warrantTtlMs },
    workerId: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    pollIntervalMs: 2_000,
    leaseMs: config.fanout.leaseMs,
    concurrency: config.fanout.concurrency,
    callDeadlineMs: config.fanout.callDeadlineMs,
    callIdleTimeoutMs: config.fanout.callIdleTimeoutMs,
    maxAttempts: config.fanout.maxAttempts,
    audit,
  });

  // An approval or a handed-back part on any replica wakes this one's worker at once.
  const unlisten = await database.listen(FANOUT_DUE_CHANNEL, () => fanout.wake());

  const checkpoints = startCheckpointSchedule({ db: database.db, signing: auditCheckpoints, intervalMs: config.audit.checkpointIntervalMs, logger });

  const denials = createDenialLimiter(config.denialsPerMinute);
  const denialFlush = startDenialFlush({ db: database.db, limiter: denials, audit, logger });
  const app = createApp({
    denials,
    auditCheckpoints,
    config,
    db: database.db,
    logger,
    catalogue,
    policy,
    approvals,
    tokens,
    devIssuer,
    fanout,
    results: { openResultStream: (partId, warrantId) => openResultStream(database.db, partId, warrantId), downloads: createDownloadSlots(config.maxDownloads) },
    warrantJwks: keys.warrantJwks,
    audit,
    directoryAuthorityKey: await loadDirectoryAuthorityKey(config.pkiDir),
    departmentHealth: createDepartmentHealth(directory),
  });

  const sweep = startExpirySweep({ db: database.db, logger, intervalMs: 60_000, audit });
  const server = await listen(app.fetch, config.http);
  const { port } = server.address() as AddressInfo;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  return {
    url: `http://${host}:${port}`,
    database,
    drain: () => fanout.drain(),
    async close() {
      // The fan-out first and at once: its calls are cancelled and their parts handed back, so
      // another replica (woken by the notification of the hand-back) takes them over now, while
      // the HTTP server lets its requests finish.
      const stopped = fanout.stop();
      await unlisten();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await stopped;
      await sweep.stop();
      await checkpoints.stop();
      await denialFlush.stop();
      await directory.close();
      if (!options.database) await database.close();
    },
  };
}

/**
 * Listens with timeouts that close idle and slow connections: headers (also for a connection that
 * never sends anything), the whole request, and an idle kept-alive connection. Node checks the
 * first two every `connectionsCheckingInterval` (default 30 s), so it checks as often as the
 * shortest of them needs. None of them bounds the answer: downloads and event streams run on.
 */
export function listen(fetch: Parameters<typeof serve>[0]['fetch'], http: Config['http']): Promise<ServerType> {
  const { host: hostname, port } = http;
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch,
        hostname,
        port,
        serverOptions: {
          headersTimeout: http.headersTimeoutMs,
          requestTimeout: http.requestTimeoutMs,
          connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(http.headersTimeoutMs / 2))),
        },
      },
      () => resolve(server),
    );
    (server as HttpServer).keepAliveTimeout = http.keepAliveTimeoutMs;
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'EADDRINUSE' ? new Error(`${hostname}:${port} is already in use: stop the other process or set QIAO_HTTP_PORT`) : err),
    );
  });
}
