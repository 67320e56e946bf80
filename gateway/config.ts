import { isIPv4 } from 'node:net';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { DEPARTMENT_NAME } from '../proto/identity';

/**
 * The gateway's configuration, parsed once at start from an environment-like object and passed
 * in from there. Nothing below `main.ts` reads `process.env`.
 *
 * Variables (defaults in brackets; "dev" = only in development mode):
 *   QIAO_MODE                  development | production                        [production]
 *   QIAO_HTTP_HOST             listen address                                 [127.0.0.1]
 *   QIAO_HTTP_PORT             listen port, 0 = any free one                  [8080]
 *   QIAO_TLS_CERT_FILE, QIAO_TLS_KEY_FILE  PEM certificate (chain) and key: the listener speaks HTTPS []
 *   QIAO_BEHIND_TLS_PROXY      true: plain HTTP on a non-loopback address is served to a TLS-terminating proxy [false]
 *   DATABASE_URL               postgres://… ; unset = embedded PGlite         []
 *   QIAO_DATA_DIR              PGlite data folder when DATABASE_URL is unset  [.data/pglite]
 *   QIAO_PKI_DIR               dev PKI folder (certs-dev layout)              [.dev]
 *   QIAO_TOKEN_ISSUER          accepted `iss` of bearer tokens                [qiao-dev-issuer] (dev; required in production)
 *   QIAO_TOKEN_AUDIENCE        accepted `aud` of bearer tokens                [qiao-gateway]
 *   QIAO_TOKEN_JWKS_FILE       JWKS of the token issuer                       [<pki>/keys/dev-issuer-jwks.json] (dev; in production this or the URL)
 *   QIAO_TOKEN_JWKS_URL        the issuer's JWKS URL (https; http on loopback only): cached, refetched on an unknown kid
 *   QIAO_DEV_ISSUER_KEY_FILE   private JWK of the dev token issuer            [<pki>/keys/dev-issuer.jwk] (refused in production)
 *   QIAO_DEPARTMENTS           name=host:port,…                               [public_security=127.0.0.1:7101,natural_resources=127.0.0.1:7102] (dev; required in production)
 *   QIAO_CALL_DEADLINE         one gRPC call to a department, e.g. 30s        [30s]
 *   QIAO_PART_DEADLINE         a department's share of an inquiry, all tries  [15m]
 *   QIAO_MAX_ATTEMPTS          tries per part                                 [5]
 *   QIAO_CALL_IDLE_TIMEOUT     a call on which nothing arrives this long is abandoned (dead connection) [30s]
 *   QIAO_LEASE                 how long a claimed part stays a replica's, renewed every third of it while its call runs [15s]
 *   QIAO_FANOUT_CONCURRENCY    department calls in flight per replica         [8]
 *   QIAO_WARRANT_TTL           warrant lifetime (exp − iat)                   [5m]
 *   QIAO_CATALOGUE_FILE        the category catalogue                         [policies/categories.json]
 *   QIAO_POLICY_DIR            Cedar schema + policies, approvals.json        [policies]
 *   QIAO_LOG_LEVEL             pino level                                     [info]
 *   QIAO_AUDIT_ORIGIN          the audit log's name in its checkpoints        [qiao.gateway/audit-log]
 *   QIAO_CHECKPOINT_INTERVAL   how often a checkpoint is signed               [1m]
 *   QIAO_HTTP_HEADERS_TIMEOUT  a connection's request headers must arrive within [10s] (idle new connections are closed then)
 *   QIAO_HTTP_REQUEST_TIMEOUT  a whole request (headers and body) must arrive within [30s]
 *   QIAO_HTTP_KEEPALIVE_TIMEOUT an idle kept-alive connection is closed after   [65s] (longer than the clients' and load balancers' own, so they close first)
 *   QIAO_EVENTS_POLL_INTERVAL  how often event streams look for changes when not told (LISTEN/NOTIFY tells them at once) [5s]
 *   QIAO_DIRECTORY_CHECK_INTERVAL how often a replica checks whether units or users changed (cached tree and token principals) [1s]
 *   QIAO_REVOCATIONS           the directory's signed revocation list, URL or file, read at submit and approve [<pki>/directory/revocations.jws]
 *   QIAO_REVOCATIONS_MAX_AGE   refuse signed submissions and decisions (503) while the freshest list is older than this [48h]
 *   QIAO_DENIALS_PER_MINUTE    refused requests audited one by one per user and minute; past it 429 and one counting entry [20]
 *   QIAO_MAX_DOWNLOADS         result downloads served at once by this process (each holds a database connection); past it 429 [4]
 *   QIAO_CONSOLE_ORIGINS       web console origins allowed by CORS, comma-separated (https://…; http only on loopback) []
 *   QIAO_METRICS_HOST          where /metrics (Prometheus) listens, apart from the API [127.0.0.1]
 *   QIAO_METRICS_PORT          its port, 0 = any free one, off = no metrics listener [9180]
 *
 * Production is the default so that forgetting the variable never leaves the dev token issuer on.
 */

export const MODES = ['development', 'production'] as const;
export type Mode = (typeof MODES)[number];

export interface DepartmentEndpoint {
  name: string;
  host: string;
  port: number;
}

export interface Config {
  mode: Mode;
  http: {
    host: string;
    port: number;
    /** Node's `headersTimeout`: also closes a connection that never sends a request. */
    headersTimeoutMs: number;
    /** Node's `requestTimeout`: the whole request must have arrived by then (not the answer). */
    requestTimeoutMs: number;
    /**
     * Node's `keepAliveTimeout`, also sent as `Keep-Alive: timeout=…`: longer than a load
     * balancer's idle timeout (60 s is common) and a client's, so that they close an idle
     * connection first and never reuse one the gateway is closing at that moment.
     */
    keepAliveTimeoutMs: number;
    /** HTTPS with this certificate (chain) and key, PEM files read at start; absent = plain HTTP. */
    tls?: { certFile: string; keyFile: string };
    /**
     * Plain HTTP reaches the gateway only through a TLS-terminating proxy in front of it: allowed on
     * a non-loopback address, and the answers say HSTS as the proxy's HTTPS origin would.
     */
    behindTlsProxy: boolean;
  };
  database: { url: string } | { dataDir: string };
  pkiDir: string;
  tokens: {
    issuer: string;
    audience: string;
    /** The issuer's JWKS, read once at start; absent when `jwksUrl` is set. */
    jwksFile?: string;
    /** The issuer's JWKS URL, fetched and cached; exclusive with `jwksFile`. */
    jwksUrl?: string;
    /** Present in development mode only: the key `POST /dev/token` signs with. */
    devIssuerKeyFile?: string;
  };
  departments: DepartmentEndpoint[];
  fanout: { callDeadlineMs: number; partDeadlineMs: number; maxAttempts: number; warrantTtlMs: number; leaseMs: number; concurrency: number; callIdleTimeoutMs: number };
  catalogueFile: string;
  policyDir: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  audit: { origin: string; checkpointIntervalMs: number };
  /** Whether an inquiry must come with the investigator's signed statement (docs/formats.md, "Signed inquiries and approvals"). */
  /** `revocations`: where the directory's signed revocation list is read (URL or file), and how old it may be before submit and approve fail closed. */
  signatures: { required: boolean; revocations: { location: string; maxAgeSec: number } };
  /** Refused requests audited one by one per user and minute; past it they answer 429 and are counted in one entry. */
  denialsPerMinute: number;
  /** Result downloads served at once by this process: each holds one database connection while it lasts; past it they answer 429. */
  maxDownloads: number;
  /** How often this replica's event streams look for changes (one query for all of them). */
  eventsPollIntervalMs: number;
  /** At most this often a request checks whether the directory changed (then the cached tree and principals are dropped). */
  directoryCheckIntervalMs: number;
  /** Origins of the units' web consoles that may call the API from a browser (CORS); none by default. */
  consoleOrigins: string[];
  /** The Prometheus listener (/metrics), never on the API's port; null = none. */
  metrics: { host: string; port: number } | null;
}

export const DEV_DEPARTMENTS = 'public_security=127.0.0.1:7101,natural_resources=127.0.0.1:7102';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(`invalid configuration:\n${issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}`);
  }
}

const UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `500ms`, `30s`, `15m`, `2h` → milliseconds. A bare number is refused: its unit would be a guess. */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,9})(ms|s|m|h)$/.exec(text.trim());
  return m ? Number(m[1]) * UNITS_MS[m[2] as keyof typeof UNITS_MS] : null;
}

const duration = (min: number, max: number, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: `expected a duration like 500ms, 30s, 15m or 2h, got ${JSON.stringify(text)}` });
        return z.NEVER;
      }
      if (ms < min || ms > max) {
        ctx.addIssue({ code: 'custom', message: `${text} is outside the allowed range ${min}ms–${max}ms` });
        return z.NEVER;
      }
      return ms;
    });

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((text, ctx) => {
      const n = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected an integer from ${min} to ${max}, got ${JSON.stringify(text)}` });
        return z.NEVER;
      }
      return n;
    });

const nonEmpty = z.string().trim().min(1, 'must not be empty');

/** 127.0.0.0/8, ::1 and `localhost`: addresses no other machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIPv4(bare) && bare.startsWith('127.');
}

/** Why a JWKS URL is not acceptable, or null: keys fetched in clear text could be swapped on the way. */
function jwksUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${JSON.stringify(text)} is not a URL`;
  }
  if (url.protocol === 'https:') return null;
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  if (url.protocol === 'http:' && loopback) return null;
  return 'must be an https:// URL (http:// only on the loopback interface)';
}

/**
 * `https://console.unit.example,http://127.0.0.1:8081` → origins, or why not. A console origin is
 * the scheme, host and port the unit serves its console from; no path, no wildcard: a browser
 * page from any other origin must not be able to use a logged-in user's token.
 */
export function parseConsoleOrigins(text: string): string[] | string {
  const out: string[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return `${JSON.stringify(raw)} is not an origin like https://console.example.org`;
    }
    if (url.origin === 'null' || raw.replace(/\/$/, '') !== url.origin) return `${JSON.stringify(raw)} is not an origin: give scheme, host and port only (${url.origin === 'null' ? 'https://host' : url.origin})`;
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return `${raw} must be https:// (http:// only on the loopback interface)`;
    if (!out.includes(url.origin)) out.push(url.origin);
  }
  return out;
}

/** `public_security=127.0.0.1:7101,natural_resources=[::1]:7102` → endpoints. */
export function parseDepartments(text: string): DepartmentEndpoint[] | string {
  const out: DepartmentEndpoint[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)=(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(raw);
    if (!m) return `entry ${JSON.stringify(raw)} is not of the form name=host:port`;
    const [, name, host, port] = m as unknown as [string, string, string, string];
    if (!DEPARTMENT_NAME.test(name)) return `department name ${JSON.stringify(name)} must be lowercase snake_case`;
    if (Number(port) < 1 || Number(port) > 65535) return `port ${port} of ${name} is outside 1–65535`;
    if (out.some((d) => d.name === name)) return `department ${name} is listed twice`;
    out.push({ name, host: host.replace(/^\[(.*)\]$/, '$1'), port: Number(port) });
  }
  if (out.length === 0) return 'must name at least one department (name=host:port,…)';
  return out;
}

const Env = z.object({
  QIAO_MODE: z.enum(MODES, { error: () => `must be one of ${MODES.join(', ')}` }).default('production'),
  QIAO_HTTP_HOST: nonEmpty.default('127.0.0.1'),
  QIAO_HTTP_PORT: integer(0, 65535, 8080),
  QIAO_TLS_CERT_FILE: nonEmpty.optional(),
  QIAO_TLS_KEY_FILE: nonEmpty.optional(),
  QIAO_BEHIND_TLS_PROXY: z.enum(['true', 'false'], { message: 'must be true or false' }).default('false'),
  DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .refine((url) => !url || /^postgres(ql)?:\/\//.test(url), 'must start with postgres:// or postgresql://'),
  QIAO_DATA_DIR: nonEmpty.default('.data/pglite'),
  QIAO_PKI_DIR: nonEmpty.default('.dev'),
  QIAO_TOKEN_ISSUER: nonEmpty.optional(),
  QIAO_TOKEN_AUDIENCE: nonEmpty.default('qiao-gateway'),
  QIAO_TOKEN_JWKS_FILE: nonEmpty.optional(),
  QIAO_TOKEN_JWKS_URL: nonEmpty.optional(),
  QIAO_DEV_ISSUER_KEY_FILE: nonEmpty.optional(),
  QIAO_DEPARTMENTS: z.string().optional(),
  QIAO_CALL_DEADLINE: duration(100, 10 * 60_000, '30s'),
  QIAO_PART_DEADLINE: duration(1000, 7 * 24 * 3_600_000, '15m'),
  QIAO_MAX_ATTEMPTS: integer(1, 100, 5),
  QIAO_CALL_IDLE_TIMEOUT: duration(1000, 10 * 60_000, '30s'),
  QIAO_LEASE: duration(1000, 10 * 60_000, '15s'),
  QIAO_FANOUT_CONCURRENCY: integer(1, 256, 8),
  QIAO_WARRANT_TTL: duration(10_000, 3_600_000, '5m'),
  QIAO_CATALOGUE_FILE: nonEmpty.default('policies/categories.json'),
  QIAO_POLICY_DIR: nonEmpty.default('policies'),
  QIAO_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  QIAO_AUDIT_ORIGIN: z.string().regex(/^[^\s+]+$/, 'must be one word without spaces or "+" (it is the checkpoint key name too)').default('qiao.gateway/audit-log'),
  QIAO_CHECKPOINT_INTERVAL: duration(1000, 24 * 3_600_000, '1m'),
  QIAO_REQUIRE_SIGNATURES: z.enum(['true', 'false'], { message: 'must be true or false' }).default('true'),
  QIAO_REVOCATIONS: nonEmpty.optional(),
  QIAO_REVOCATIONS_MAX_AGE: duration(60_000, 30 * 86_400_000, '48h'),
  QIAO_HTTP_HEADERS_TIMEOUT: duration(100, 10 * 60_000, '10s'),
  QIAO_HTTP_REQUEST_TIMEOUT: duration(100, 60 * 60_000, '30s'),
  QIAO_HTTP_KEEPALIVE_TIMEOUT: duration(100, 10 * 60_000, '65s'),
  QIAO_DENIALS_PER_MINUTE: integer(1, 100_000, 20),
  QIAO_MAX_DOWNLOADS: integer(1, 1000, 4),
  QIAO_EVENTS_POLL_INTERVAL: duration(10, 10 * 60_000, '5s'),
  QIAO_DIRECTORY_CHECK_INTERVAL: z.string().default('1s').transform((text, ctx) => {
    const ms = text === '0' ? 0 : parseDuration(text);
    if (ms === null || ms > 60_000) {
      ctx.addIssue({ code: 'custom', message: `expected 0 or a duration up to 1m like 500ms or 1s, got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return ms;
  }),
  QIAO_CONSOLE_ORIGINS: z.string().optional(),
  QIAO_METRICS_HOST: nonEmpty.default('127.0.0.1'),
  QIAO_METRICS_PORT: z.union([z.literal('off'), integer(0, 65535, 9180)], { error: () => 'expected a port from 0 to 65535, or off' }).default(9180),
});

/**
 * Parses the configuration or throws a `ConfigError` that names every offending variable.
 * Relative paths are resolved against `cwd`.
 */
export function parseConfig(env: Record<string, string | undefined>, options: { cwd?: string } = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  // An empty variable means "unset", as in most shells' `VAR= cmd`.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([k, v]) => k in Env.shape && v !== undefined && v !== ''));
  const parsed = Env.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? '(environment)'), message: i.message })));
  }
  const e = parsed.data;
  const dev = e.QIAO_MODE === 'development';
  const issues: { variable: string; message: string }[] = [];
  const path = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const pkiDir = path(e.QIAO_PKI_DIR);

  const need = (variable: string, value: string | undefined, devDefault: string): string => {
    if (value !== undefined) return value;
    if (!dev) issues.push({ variable, message: 'is required in production mode' });
    return devDefault;
  };
  const issuer = need('QIAO_TOKEN_ISSUER', e.QIAO_TOKEN_ISSUER, 'qiao-dev-issuer');
  const jwksUrl = e.QIAO_TOKEN_JWKS_URL;
  if (jwksUrl !== undefined) {
    const problem = jwksUrlProblem(jwksUrl);
    if (problem) issues.push({ variable: 'QIAO_TOKEN_JWKS_URL', message: problem });
    if (e.QIAO_TOKEN_JWKS_FILE !== undefined) {
      issues.push({ variable: 'QIAO_TOKEN_JWKS_FILE', message: 'set either QIAO_TOKEN_JWKS_FILE or QIAO_TOKEN_JWKS_URL, not both' });
    }
  }
  const jwksFile = jwksUrl === undefined ? path(need('QIAO_TOKEN_JWKS_FILE', e.QIAO_TOKEN_JWKS_FILE, join(pkiDir, 'keys/dev-issuer-jwks.json'))) : undefined;
  if (!dev && e.QIAO_DEV_ISSUER_KEY_FILE !== undefined) {
    issues.push({
      variable: 'QIAO_DEV_ISSUER_KEY_FILE',
      message: 'is only allowed in development mode: the dev issuer mints a token for any user without a password, so production refuses to start while it is configured',
    });
  }
  const departments = parseDepartments(need('QIAO_DEPARTMENTS', e.QIAO_DEPARTMENTS, DEV_DEPARTMENTS));
  if (typeof departments === 'string') issues.push({ variable: 'QIAO_DEPARTMENTS', message: departments });
  if (e.QIAO_PART_DEADLINE < e.QIAO_CALL_DEADLINE) {
    issues.push({ variable: 'QIAO_PART_DEADLINE', message: 'must not be shorter than QIAO_CALL_DEADLINE' });
  }
  if (e.QIAO_HTTP_REQUEST_TIMEOUT < e.QIAO_HTTP_HEADERS_TIMEOUT) {
    issues.push({ variable: 'QIAO_HTTP_REQUEST_TIMEOUT', message: 'must not be shorter than QIAO_HTTP_HEADERS_TIMEOUT' });
  }
  if ((e.QIAO_TLS_CERT_FILE === undefined) !== (e.QIAO_TLS_KEY_FILE === undefined)) {
    const missing = e.QIAO_TLS_CERT_FILE === undefined ? 'QIAO_TLS_CERT_FILE' : 'QIAO_TLS_KEY_FILE';
    issues.push({ variable: missing, message: 'must be set too: HTTPS needs both the certificate and its key' });
  }
  const tls = e.QIAO_TLS_CERT_FILE !== undefined && e.QIAO_TLS_KEY_FILE !== undefined ? { certFile: path(e.QIAO_TLS_CERT_FILE), keyFile: path(e.QIAO_TLS_KEY_FILE) } : undefined;
  const behindTlsProxy = e.QIAO_BEHIND_TLS_PROXY === 'true';
  if (!tls && !behindTlsProxy && !isLoopbackHost(e.QIAO_HTTP_HOST)) {
    issues.push({
      variable: 'QIAO_HTTP_HOST',
      message:
        `${e.QIAO_HTTP_HOST} is not a loopback address, and the gateway refuses to serve plain HTTP there (bearer tokens and signed decisions would cross the network in clear): ` +
        'set QIAO_TLS_CERT_FILE and QIAO_TLS_KEY_FILE to serve HTTPS, or QIAO_BEHIND_TLS_PROXY=true if a TLS-terminating proxy in front of it is the only way in',
    });
  }
  const consoleOrigins = parseConsoleOrigins(e.QIAO_CONSOLE_ORIGINS ?? '');
  if (typeof consoleOrigins === 'string') issues.push({ variable: 'QIAO_CONSOLE_ORIGINS', message: consoleOrigins });
  if (e.QIAO_METRICS_PORT !== 'off' && e.QIAO_METRICS_PORT !== 0 && e.QIAO_METRICS_PORT === e.QIAO_HTTP_PORT && e.QIAO_METRICS_HOST === e.QIAO_HTTP_HOST) {
    issues.push({ variable: 'QIAO_METRICS_PORT', message: 'must differ from QIAO_HTTP_PORT: metrics are served on a listener of their own, never on the API' });
  }
  if (issues.length) throw new ConfigError(issues);

  return {
    mode: e.QIAO_MODE,
    http: {
      host: e.QIAO_HTTP_HOST,
      port: e.QIAO_HTTP_PORT,
      headersTimeoutMs: e.QIAO_HTTP_HEADERS_TIMEOUT,
      requestTimeoutMs: e.QIAO_HTTP_REQUEST_TIMEOUT,
      keepAliveTimeoutMs: e.QIAO_HTTP_KEEPALIVE_TIMEOUT,
      ...(tls ? { tls } : {}),
      behindTlsProxy,
    },
    database: e.DATABASE_URL ? { url: e.DATABASE_URL } : { dataDir: path(e.QIAO_DATA_DIR) },
    pkiDir,
    tokens: {
      issuer,
      audience: e.QIAO_TOKEN_AUDIENCE,
      ...(jwksFile !== undefined ? { jwksFile } : {}),
      ...(jwksUrl !== undefined ? { jwksUrl } : {}),
      ...(dev ? { devIssuerKeyFile: path(e.QIAO_DEV_ISSUER_KEY_FILE ?? join(pkiDir, 'keys/dev-issuer.jwk')) } : {}),
    },
    departments: departments as DepartmentEndpoint[],
    fanout: {
      callDeadlineMs: e.QIAO_CALL_DEADLINE,
      partDeadlineMs: e.QIAO_PART_DEADLINE,
      maxAttempts: e.QIAO_MAX_ATTEMPTS,
      leaseMs: e.QIAO_LEASE,
      callIdleTimeoutMs: e.QIAO_CALL_IDLE_TIMEOUT,
      concurrency: e.QIAO_FANOUT_CONCURRENCY,
      warrantTtlMs: e.QIAO_WARRANT_TTL,
    },
    catalogueFile: path(e.QIAO_CATALOGUE_FILE),
    policyDir: path(e.QIAO_POLICY_DIR),
    logLevel: e.QIAO_LOG_LEVEL,
    audit: { origin: e.QIAO_AUDIT_ORIGIN, checkpointIntervalMs: e.QIAO_CHECKPOINT_INTERVAL },
    signatures: {
      required: e.QIAO_REQUIRE_SIGNATURES === 'true',
      revocations: { location: e.QIAO_REVOCATIONS ?? join(pkiDir, 'directory', 'revocations.jws'), maxAgeSec: Math.floor(e.QIAO_REVOCATIONS_MAX_AGE / 1000) },
    },
    denialsPerMinute: e.QIAO_DENIALS_PER_MINUTE,
    maxDownloads: e.QIAO_MAX_DOWNLOADS,
    eventsPollIntervalMs: e.QIAO_EVENTS_POLL_INTERVAL,
    directoryCheckIntervalMs: e.QIAO_DIRECTORY_CHECK_INTERVAL,
    consoleOrigins: consoleOrigins as string[],
    metrics: e.QIAO_METRICS_PORT === 'off' ? null : { host: e.QIAO_METRICS_HOST, port: e.QIAO_METRICS_PORT },
  };
}
