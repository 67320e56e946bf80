import { serve, type ServerType } from '@hono/node-server';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import { createSecureContext } from 'node:tls';
import { hostname } from 'node:os';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp } from './app';
import { loadAuth } from './auth/from-config';
import { loadCatalogue } from './catalogue';
import { loadPolicies } from './policy/load-policies';
import { startExpirySweep } from './services/inquiry/expire';
import { createInquiryWatch, INQUIRY_CHANGED_CHANNEL } from './services/inquiry/watch';
import type { Config } from './config';
import { openDatabase, type Database } from './db/client';
import { seedDemo } from './demo/seed';
import { createGrpcDepartmentDirectory } from './departments/grpc-client';
import { createDepartmentActivity } from './departments/activity';
import { createDepartmentHealth } from './departments/health';
import { listenMetrics } from './metrics/listener';
import { createGatewayMetrics, type GatewayMetrics } from './metrics/registry';
import { approvalWaker, FANOUT_DUE_CHANNEL, startFanoutWorker } from './fanout/worker';
import { loadAuditKeys, loadDirectoryAuthorityKey, loadGatewayKeys, loadUnitPublicKeys } from './keys';
import { noteSigner, type NoteSigner } from '../proto/checkpoint';
import { startCheckpointSchedule } from './services/audit/checkpoints';
import { hashPolicyFiles, recordConfiguration } from './services/audit/record-configuration';
import { createAuditWriter, type AuditWriter } from './services/audit/commitments';
import { createDenialLimiter, startDenialFlush } from './services/audit/denial-limit';
import { createDownloadSlots } from './services/result/download-slots';
import { openResultStream } from './services/result/read-result';
import { createRevocationSource } from '../proto/node/revocation-source';

export interface RunningGateway {
  url: string;
  /** The metrics listener (`…/metrics`), when QIAO_METRICS_PORT is not off. */
  metricsUrl?: string;
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
  // Metrics are made once the database and the fan-out exist; the writer counts into them from then on.
  let metrics: GatewayMetrics | undefined;
  const audit: AuditWriter = { ...createAuditWriter(auditKeys.commitmentKey), appended: (actions) => metrics?.auditAppended(actions) };
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
  const departmentActivity = createDepartmentActivity();
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
    observeCall: (call) => {
      departmentActivity.record(call);
      metrics?.departmentCall(call);
    },
  });
  metrics = createGatewayMetrics({
    db: database.db,
    ...(database.poolStats ? { pool: database.poolStats } : {}),
    fanoutSlots: { inUse: () => fanout.inFlight(), capacity: config.fanout.concurrency },
  });

  // An approval or a handed-back part on any replica wakes this one's worker at once, and any
  // change of an inquiry tells this one's event streams (one listening connection for both).
  const unlisten = await database.listen(FANOUT_DUE_CHANNEL, () => fanout.wake());
  const watch = createInquiryWatch({ db: database.db, intervalMs: config.eventsPollIntervalMs, logger });
  const unlistenInquiries = await database.listen(INQUIRY_CHANGED_CHANNEL, (id) => watch.notified(id));

  const checkpoints = startCheckpointSchedule({ db: database.db, signing: auditCheckpoints, intervalMs: config.audit.checkpointIntervalMs, logger });

  const denials = createDenialLimiter(config.denialsPerMinute);
  const denialFlush = startDenialFlush({ db: database.db, limiter: denials, audit, logger });
  const authorityKey = await loadDirectoryAuthorityKey(config.pkiDir);
  const app = createApp({
    watch,
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
    fanout: approvalWaker(database, fanout),
    results: { openResultStream: (partId, warrantId) => openResultStream(database.db, partId, warrantId), downloads: createDownloadSlots(config.maxDownloads) },
    warrantJwks: keys.warrantJwks,
    audit,
    ...(authorityKey ? { directoryAuthorityKey: authorityKey, revocations: createRevocationSource({ ...config.signatures.revocations, authorityJwk: authorityKey, logger }) } : {}),
    departmentHealth: createDepartmentHealth(directory),
    departmentActivity,
    metrics,
    readiness: { checkpointSigner: () => probeSigner(auditCheckpoints.signer) },
  });

  const sweep = startExpirySweep({ db: database.db, logger, intervalMs: 60_000, audit });
  const server = await listen(app.fetch, config.http);
  const metricsListener = config.metrics ? await listenMetrics(metrics, config.metrics) : null;
  if (metricsListener) logger.info({ url: `${metricsListener.url}/metrics` }, 'metrics listening');
  const { port } = server.address() as AddressInfo;
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  return {
    url: `${config.http.tls ? 'https' : 'http'}://${host}:${port}`,
    ...(metricsListener ? { metricsUrl: metricsListener.url } : {}),
    database,
    drain: () => fanout.drain(),
    async close() {
      // The fan-out first and at once: its calls are cancelled and their parts handed back, so
      // another replica (woken by the notification of the hand-back) takes them over now, while
      // the HTTP server lets its requests finish.
      const stopped = fanout.stop();
      await unlisten();
      await unlistenInquiries();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await metricsListener?.close();
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
export async function listen(fetch: Parameters<typeof serve>[0]['fetch'], http: Omit<Config['http'], 'behindTlsProxy'>): Promise<ServerType> {
  const { host: hostname, port } = http;
  const tls = http.tls ? await readTlsFiles(http.tls) : undefined;
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch,
        hostname,
        port,
        ...(tls ? { createServer: createHttpsServer } : {}),
        serverOptions: {
          ...tls,
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

/** The listener's certificate and key, read once at start; a missing or unreadable file says which variable names it. */
async function readTlsFiles(tls: NonNullable<Config['http']['tls']>): Promise<{ cert: string; key: string }> {
  const read = (file: string, variable: string) =>
    readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new Error(`cannot read ${file} (${variable}): ${err.code ?? err.message}`);
    });
  const [cert, key] = await Promise.all([read(tls.certFile, 'QIAO_TLS_CERT_FILE'), read(tls.keyFile, 'QIAO_TLS_KEY_FILE')]);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new Error(`QIAO_TLS_CERT_FILE and QIAO_TLS_KEY_FILE (${tls.certFile}, ${tls.keyFile}) are not a PEM certificate and its key: ${(err as Error).message}`);
  }
  return { cert, key };
}

/** Whether the checkpoint key still signs (readiness): one Ed25519 signature over a fixed text. */
async function probeSigner(signer: NoteSigner): Promise<void> {
  await crypto.subtle.sign({ name: 'Ed25519' }, signer.privateKey, new TextEncoder().encode('qiao readiness probe\n'));
}
