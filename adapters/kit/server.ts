import type { ApprovalRules } from './approval-rules';
import { createRevocationSource, type RevocationSource } from './revocations';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { createRequire } from 'node:module';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import { createAdapterLogger } from './telemetry';
import { DEPARTMENT_NAME } from '../../proto/identity';
import { DEPARTMENT_PROTO_PATH, DEPARTMENT_SERVICE_NAME, DepartmentService } from '../../proto/grpc/department';
import { assertValidSource, type DataSource } from './data-source';
import { createHandlers } from './handlers';
import { createAdapterMetrics, listenOps, type AdapterMetrics } from './metrics';
import { createRefusalRecorder } from './refusal-record';
import { openServedLog } from './served-log';
import { createWarrantKeySource } from './warrant-keys';

export interface StartAdapterOptions {
  department: string;
  displayName: string;
  source: DataSource;
  /** PEM: the CA that client certificates must chain to, and this department's server certificate and key. */
  tls: { ca: string | Buffer; cert: string | Buffer; key: string | Buffer };
  /** The gateway's public warrant keys pinned locally (its JWKS `keys`); may be empty when `warrantJwksUrl` is given. */
  warrantKeys: JWK[];
  /** The gateway's published JWKS (`…/.well-known/jwks.json`), fetched lazily and refreshed on an unknown kid. */
  warrantJwksUrl?: string;
  /** Least time between two JWKS fetches for unknown kids (default 30 s): forged kids cannot make it hammer the gateway. */
  jwksCooldownMs?: number;
  /** The directory authority's public key (pinned): recipient keys and signing keys must be certified by it. */
  directoryAuthorityKey: JWK;
  /** Where the directory publishes its revocation list (URL or file) and how old a list may be (default 48 h); or a source. */
  revocations: { location: string; maxAgeSec?: number } | RevocationSource;
  /** This department's own minimum approvals (adapters/departments/<name>/approval-rules.json). */
  approvalRules: ApprovalRules;
  /** This department's private receipt signing key (Ed25519 JWK with kid). */
  receiptKey: JWK;
  /** The served-warrant log (append-only, hash-chained); its memory of used jtis survives restarts. */
  servedLogFile: string;
  host?: string;
  port?: number;
  logger?: Logger;
  /** The operations listener (GET /metrics, GET /ready), apart from the gRPC port; none without it. */
  metrics?: { host?: string; port: number };
  /** How often the data source's health is checked (default 5 s). */
  healthIntervalMs?: number;
  /** What Describe reports as this adapter's version; default `qiao-adapter-kit/<the kit's version>`. */
  version?: string;
}

export interface RunningAdapter {
  port: number;
  /** The operations listener (`…/metrics`, `…/ready`), when `metrics` was given. */
  metricsUrl?: string;
  /** This adapter's registry: what /metrics serves. */
  metrics: AdapterMetrics;
  close(): Promise<void>;
}

export const ADAPTER_KIT_VERSION = `qiao-adapter-kit/${(createRequire(import.meta.url)('../../package.json') as { version: string }).version}`;

/** Every service the adapter serves, for server reflection (grpc.reflection.v1 and v1alpha). */
const REFLECTED = protoLoader.loadSync([DEPARTMENT_PROTO_PATH, healthProtoPath], { keepCase: true });

/** A warrant is a few KiB; nothing an adapter is asked should come near this. */
const MAX_REQUEST_BYTES = 256 * 1024;
const SHUTDOWN_GRACE_MS = 5_000;

/**
 * Start a department adapter: mTLS gRPC on host:port — Department, grpc.health.v1.Health (following
 * the data source) and server reflection, all behind the same client-certificate check — and,
 * when asked, the operations listener (metrics.ts).
 */
export async function startAdapter(options: StartAdapterOptions): Promise<RunningAdapter> {
  const { department, source } = options;
  if (!DEPARTMENT_NAME.test(department)) throw new Error(`invalid department name ${JSON.stringify(department)}`);
  assertValidSource(source);
  if (options.warrantKeys.length === 0 && !options.warrantJwksUrl) throw new Error('no warrant keys and no JWKS URL: every warrant would be refused');
  if (options.warrantKeys.some((k) => 'd' in k)) throw new Error('warrant keys must be public keys');
  if ('d' in options.directoryAuthorityKey) throw new Error('the directory authority key must be its public key');
  if (!options.receiptKey.d || !options.receiptKey.kid) throw new Error('the receipt key must be a private Ed25519 JWK with a kid');
  const logger = options.logger ?? createAdapterLogger('qiao-adapter');
  const servedLog = await openServedLog(options.servedLogFile);
  const warrantKeys = createWarrantKeySource({ pinned: options.warrantKeys, jwksUrl: options.warrantJwksUrl, cooldownMs: options.jwksCooldownMs, logger });

  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_REQUEST_BYTES });
  const revocations =
    'revoked' in options.revocations
      ? options.revocations
      : createRevocationSource({ ...options.revocations, authorityJwk: options.directoryAuthorityKey, logger });
  const refusals = createRefusalRecorder(servedLog);
  const metrics = createAdapterMetrics(department);
  const version = options.version ?? ADAPTER_KIT_VERSION;
  server.addService(DepartmentService, createHandlers({ ...options, version, warrantKeys, servedLog, refusals, logger, revocations, metrics }));

  // Health follows the data source: checked now, then every few seconds; NOT_SERVING while it fails.
  const health = new HealthImplementation({ '': 'NOT_SERVING', [DEPARTMENT_SERVICE_NAME]: 'NOT_SERVING' });
  health.addToServer(server);
  new ReflectionService(REFLECTED).addToServer(server);
  let sourceUp = false;
  let closed = false;
  const checkSource = async () => {
    let up = true;
    try {
      await source.health?.();
    } catch (error) {
      up = false;
      if (sourceUp) logger.error({ department, error: (error as Error)?.name ?? typeof error }, 'data source failed its health check: NOT_SERVING');
    }
    if (closed) return;
    if (up && !sourceUp) logger.info({ department }, 'data source healthy: SERVING');
    sourceUp = up;
    metrics.sourceHealth(up);
    health.setStatus('', up ? 'SERVING' : 'NOT_SERVING');
    health.setStatus(DEPARTMENT_SERVICE_NAME, up ? 'SERVING' : 'NOT_SERVING');
  };
  await checkSource();
  let checking: Promise<void> = Promise.resolve();
  const healthTimer = setInterval(() => {
    checking = checkSource();
  }, options.healthIntervalMs ?? 5_000);
  healthTimer.unref();

  // checkClientCertificate=true: the TLS handshake itself refuses a client without a
  // certificate chained to our CA; the handlers then check that it is the gateway's.
  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(options.tls.ca),
    [{ cert_chain: Buffer.from(options.tls.cert), private_key: Buffer.from(options.tls.key) }],
    true,
  );
  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port ?? 0}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const ops = options.metrics
    ? await listenOps(metrics, () => sourceUp, { host: options.metrics.host ?? '127.0.0.1', port: options.metrics.port }).catch((error: unknown) => {
        server.forceShutdown();
        clearInterval(healthTimer);
        throw error;
      })
    : null;
  logger.info({ department, host, port, ...(ops ? { metrics: `${ops.url}/metrics` } : {}) }, 'adapter listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    ...(ops ? { metricsUrl: ops.url } : {}),
    metrics,
    close: () => {
      closed = true;
      clearInterval(healthTimer);
      closing ??= new Promise<void>((resolve) => {
        health.setStatus('', 'NOT_SERVING');
        health.setStatus(DEPARTMENT_SERVICE_NAME, 'NOT_SERVING');
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      })
        .then(() => checking)
        .then(() => ops?.close())
        .then(() => refusals.flush())
        .then(() => servedLog.close());
      return closing;
    },
  };
}
