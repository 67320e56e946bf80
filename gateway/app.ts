import { randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { matchedRoutes } from 'hono/route';
import { secureHeaders } from 'hono/secure-headers';
import type { JWK } from 'jose';
import type { RevocationSource } from '../proto/node/revocation-source';
import type { Logger } from 'pino';
import { authenticate } from './auth/authenticate';
import type { DevIssuer } from './auth/dev-issuer';
import type { TokenVerifier } from './auth/verify-token';
import type { Catalogue } from './catalogue';
import type { Config } from './config';
import type { Db } from './db/client';
import type { ApprovalPolicy } from './policy/approval-policy';
import type { PolicyEngine } from './policy/authorize';
import { API_INFO, API_TAGS, BEARER_SCHEME, OpenApiDocument } from '../proto/api';
import { HTTP_STATUS, isDatabaseUnavailable, ServiceError, type ErrorCode, type ErrorDetail, type ErrorEnvelope } from './errors';
import { auditRoutes } from './routes/audit';
import { devRoutes } from './routes/dev';
import type { AppEnv } from './routes/env';
import { healthRoutes } from './routes/health';
import { referenceRoutes } from './routes/reference';
import { inquiryRoutes } from './routes/inquiries';
import { inquiryEventRoutes } from './routes/inquiries/events';
import { meRoutes } from './routes/me';
import { resultRoutes } from './routes/results';
import { warrantRoutes } from './routes/warrants';
import { wellKnownRoutes } from './routes/well-known';
import { describeError } from './logger';
import { traceRequests } from './trace-requests';
import type { CheckpointSigning } from './services/audit/checkpoints';
import type { DepartmentActivity } from './departments/activity';
import type { DepartmentHealth } from './departments/health';
import type { GatewayMetrics } from './metrics/registry';
import type { ReadinessProbes } from './services/health/check-ready';
import { catalogueRoutes } from './routes/catalogue';
import { departmentRoutes } from './routes/departments';
import type { AuditWriter } from './services/audit/commitments';
import { createAuditGroupCommit } from './services/audit/group-commit';
import { createDenialLimiter, type DenialLimiter } from './services/audit/denial-limit';
import { createInquiryWatch, type InquiryWatch } from './services/inquiry/watch';
import { createDirectoryCache } from './services/unit/directory-cache';
import type { FanoutWaker, ResultReader, Services } from './services/context';

export type { FanoutWaker, ResultReader } from './services/context';
export type { AppEnv } from './routes/env';

export interface AppDeps {
  config: Config;
  db: Db;
  logger: Logger;
  catalogue: Catalogue;
  /** Cedar policies and the approval policy, loaded and validated at start (gateway/policy/load-policies.ts). */
  policy: PolicyEngine;
  approvals: ApprovalPolicy;
  /** Verifies bearer tokens (issuer JWKS, issuer, audience). */
  tokens: TokenVerifier;
  /** Mints tokens at POST /dev/token; mounted only when `config.mode` is development. */
  devIssuer?: DevIssuer;
  /** Woken after an approval has committed. */
  fanout: FanoutWaker;
  /** Reads stored ciphertext for downloads. */
  results: ResultReader;
  /** The public warrant keys published at /.well-known/jwks.json (two during a rotation). */
  warrantJwks?: { keys: JWK[] };
  clock?: () => Date;
  /** Signs checkpoints requested with POST /v1/audit/checkpoint; without it only reading works. */
  auditCheckpoints?: CheckpointSigning;
  /** Writes audit entries with this gateway's commitment key (services/audit/commitments.ts). */
  audit: AuditWriter;
  /** The directory authority's public key (`<pki>/directory/authority.pub.jwk`): signing-key certificates are checked with it. */
  directoryAuthorityKey?: JWK;
  /** The directory's revocation list as departments fetch it; server.ts always builds one with the authority key (fail-closed). */
  revocations?: RevocationSource;
  /** Whether each department's adapter answers, for GET /v1/catalogue. */
  departmentHealth?: DepartmentHealth;
  /** Tells event streams of changes (services/inquiry/watch.ts); default one that only polls, every `config.eventsPollIntervalMs`. */
  watch?: InquiryWatch;
  /** Refusals per user audited one by one; default one at `config.denialsPerMinute` whose counts nobody flushes (tests). */
  denials?: DenialLimiter;
  /** Prometheus metrics (gateway/metrics): every request is counted by route pattern and status. */
  metrics?: GatewayMetrics;
  /** What this replica saw of each department's calls, for GET /v1/departments. */
  departmentActivity?: DepartmentActivity;
  /** Readiness probes of GET /ready beyond the database (the checkpoint signer). */
  readiness?: ReadinessProbes;
}

export const BODY_LIMIT_BYTES = 256 * 1024;

export function createApp(deps: AppDeps): OpenAPIHono<AppEnv> {
  const services: Services = {
    db: deps.db,
    catalogue: deps.catalogue,
    policy: deps.policy,
    approvals: deps.approvals,
    logger: deps.logger,
    clock: deps.clock ?? (() => new Date()),
    partDeadlineMs: deps.config.fanout.partDeadlineMs,
    fanout: deps.fanout,
    results: deps.results,
    audit: deps.audit,
    downloadAudit: createAuditGroupCommit({ db: deps.db, audit: deps.audit }),
    signatures: {
      required: deps.config.signatures.required,
      ...(deps.directoryAuthorityKey ? { authorityJwk: deps.directoryAuthorityKey } : {}),
      ...(deps.revocations ? { revocations: deps.revocations } : {}),
    },
    ...(deps.departmentHealth ? { departmentHealth: deps.departmentHealth } : {}),
    departments: deps.config.departments.map((d) => d.name),
    ...(deps.departmentActivity ? { departmentActivity: deps.departmentActivity } : {}),
    ...(deps.readiness ? { probes: deps.readiness } : {}),
    denials: deps.denials ?? createDenialLimiter(deps.config.denialsPerMinute),
    directory: createDirectoryCache({ db: deps.db, checkIntervalMs: deps.config.directoryCheckIntervalMs, logger: deps.logger }),
    watch: deps.watch ?? createInquiryWatch({ db: deps.db, intervalMs: deps.config.eventsPollIntervalMs, logger: deps.logger }),
  };
  const app = new OpenAPIHono<AppEnv>();

  // Outermost, so it times everything; the route is the pattern that matched, never the raw path
  // (which carries inquiry and part ids).
  const metrics = deps.metrics;
  if (metrics) {
    app.use(async (c, next) => {
      const started = performance.now();
      try {
        await next();
      } finally {
        const route = matchedRoutes(c).findLast((r) => r.method !== 'ALL')?.path ?? 'unmatched';
        metrics.httpRequest({ method: c.req.method, route, status: c.res.status }, (performance.now() - started) / 1000);
      }
    });
  }

  // Always the gateway's own id, never one a client sent: audit entries carry it, and a client
  // must not be able to make two requests look like one.
  app.use(async (c, next) => {
    const id = randomUUID();
    c.set('requestId', id);
    c.header('x-request-id', id);
    await next();
  });
  app.use(traceRequests());
  app.use(async (c, next) => {
    c.set('services', services);
    const started = performance.now();
    await next();
    // Path without query string; never headers or bodies, which carry tokens and subject ids.
    deps.logger.info(
      {
        requestId: c.get('requestId'),
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        user: c.get('principal')?.username,
      },
      'request',
    );
  });
  // The units' web consoles are served from their own origins (never by the gateway): only those
  // configured may read answers in a browser. No cookies are used, so no credentials mode.
  if (deps.config.consoleOrigins.length) {
    const allowed = new Set(deps.config.consoleOrigins);
    app.use(
      cors({
        origin: (origin) => (allowed.has(origin) ? origin : null),
        allowMethods: ['GET', 'POST'],
        allowHeaders: ['authorization', 'content-type'],
        exposeHeaders: ['x-request-id', 'retry-after', 'content-length', 'content-disposition', 'x-qiao-format', 'x-qiao-sha256', 'x-qiao-records', 'x-qiao-warrant-id'],
        maxAge: 600,
      }),
    );
  }
  // HSTS only where the origin is HTTPS (this listener's, or the TLS-terminating proxy's): on
  // plain loopback HTTP it would be meaningless, and browsers ignore it there anyway.
  const https = Boolean(deps.config.http.tls) || deps.config.http.behindTlsProxy;
  app.use(secureHeaders({ strictTransportSecurity: https ? 'max-age=31536000; includeSubDomains' : false }));
  app.use(async (c, next) => {
    await next();
    c.header('cache-control', 'no-store');
  });
  const limitBody = bodyLimit({
    maxSize: BODY_LIMIT_BYTES,
    onError: () => {
      throw new ServiceError('payload_too_large', `the body must be at most ${BODY_LIMIT_BYTES / 1024} KiB`);
    },
  });
  // Only where a body is read: the limit looks at the request's body, which makes the Node
  // adapter build the whole web Request (its AbortSignal and all) that a GET never needs.
  app.use((c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));

  // Every route is a contract endpoint (proto/api) at its full path; the document below is made of them.
  app.route('/', healthRoutes());
  if (deps.warrantJwks) app.route('/', wellKnownRoutes(deps.warrantJwks));
  if (deps.config.mode === 'development' && deps.devIssuer) app.route('/', devRoutes(deps.devIssuer));
  let document: OpenApiDocument | undefined;
  app.route('/', referenceRoutes(() => (document ??= describeApi(app))));

  app.use('/v1/*', authenticate(deps.tokens));
  app.route('/', meRoutes());
  app.route('/', catalogueRoutes());
  app.route('/', departmentRoutes());
  app.route('/', inquiryRoutes());
  app.route('/', inquiryEventRoutes());
  app.route('/', resultRoutes());
  app.route('/', warrantRoutes());
  app.route('/', auditRoutes(deps.auditCheckpoints));

  app.notFound((c) => errorResponse(c, 'not_found', `no route for ${c.req.method} ${c.req.path}`));
  app.onError((err, c) => {
    if (err instanceof ServiceError) {
      if (err.retryAt) c.header('retry-after', String(Math.max(1, Math.ceil((err.retryAt.getTime() - services.clock().getTime()) / 1000))));
      return errorResponse(c, err.code, err.message, err.details);
    }
    if (err instanceof HTTPException && err.status === 415) {
      // The route's media type check, for a JSON type with parameters it does not take.
      return errorResponse(c, 'unsupported_media_type', 'the body must be JSON (Content-Type: application/json)');
    }
    if (err instanceof HTTPException && err.status < 500) {
      const code: ErrorCode = err.status === 413 ? 'payload_too_large' : err.status === 404 ? 'not_found' : 'invalid_argument';
      return errorResponse(c, code, err.message || 'bad request');
    }
    if (isDatabaseUnavailable(err)) {
      deps.logger.warn({ requestId: c.get('requestId'), failure: describeError(err) }, 'database unavailable');
      c.header('retry-after', String(DATABASE_RETRY_SECONDS));
      return errorResponse(c, 'unavailable', `the gateway cannot reach its database right now; try again in ${DATABASE_RETRY_SECONDS} seconds`);
    }
    deps.logger.error({ requestId: c.get('requestId'), failure: describeError(err) }, 'unhandled error');
    return errorResponse(c, 'internal', 'internal error; quote the request id when reporting it');
  });
  return app;
}

/** How soon a request that met an unreachable database is told to try again. */
const DATABASE_RETRY_SECONDS = 2;

function errorResponse(c: Context<AppEnv>, code: ErrorCode, message: string, details?: ErrorDetail[]): Response {
  const body: ErrorEnvelope = { error: { code, message, requestId: c.get('requestId'), ...(details ? { details } : {}) } };
  if (code === 'unauthenticated') c.header('www-authenticate', 'Bearer realm="qiao", error="invalid_token"');
  return c.json(body, HTTP_STATUS[code]);
}

/** The OpenAPI 3.1 document of the routes `app` serves, made from their contract schemas. */
function describeApi(app: OpenAPIHono<AppEnv>): OpenApiDocument {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', BEARER_SCHEME);
  return OpenApiDocument.parse(app.getOpenAPI31Document({ openapi: '3.1.0', info: API_INFO, tags: API_TAGS }));
}
