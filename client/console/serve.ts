/**
 * The unit's own static server of the web console: serves the built bundle (.build/console) on
 * the unit's origin — never the gateway's, which must not be able to ship code that sees the
 * unit's key — with a strict Content-Security-Policy: scripts and styles only from this origin
 * (no inline script), `connect-src` only this origin, the gateway and the token issuer (the
 * authorization-code exchange is a request of the page), no frames, no plugins.
 *
 *   tsx client/console/serve.ts --gateway http://127.0.0.1:8080 --issuer http://127.0.0.1:8090 \
 *     [--directory .dev/directory] [--units .dev/units] [--port 8081] [--dist .build/console]
 *
 * `/config.json` tells the page which gateway and issuer it talks to; `/directory/…` serves the
 * directory's published public keys (`*.pub.jwk`: the departments' receipt keys) from the unit's
 * copy, so the page checks receipts against the directory, never against the gateway's word;
 * `/units/<code>/encryption.pub.jwk` and `encryption.cert.jws` serve a unit's published
 * encryption key and the directory authority's certificate of it (what a signed statement names;
 * never the private encryption.jwk beside them);
 * every other path that is not a file is the page itself (the app routes in the browser:
 * /callback, /inquiries/…).
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';

export interface ConsoleServerOptions {
  dist: string;
  gateway: string;
  issuer: string;
  clientId: string;
  /** The directory's published keys (certs-dev layout: receipts/<department>.pub.jwk). */
  directory?: string;
  /** The units' published encryption keys and certificates (certs-dev layout: <code>/encryption.pub.jwk, encryption.cert.jws). */
  units?: string;
  /** The checkpoint key auditors pin (a public Ed25519 JWK), served as /directory/checkpoint-verifier.pub.jwk. */
  checkpointKey?: string;
  /** The audit log's name in its checkpoints. */
  auditOrigin?: string;
  host?: string;
  port?: number;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** The origin of a URL, refusing anything that is not http(s). */
function originOf(url: string, what: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--${what} ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`--${what} must be an http(s) URL`);
  return parsed.origin;
}

export function contentSecurityPolicy(gateway: string, issuer: string): string {
  return [
    "default-src 'none'",
    // WebAssembly compiled from the console's own origin (duckdb-wasm, for comparisons), in a worker of that origin.
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ${originOf(gateway, 'gateway')} ${originOf(issuer, 'issuer')}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

export interface ConsoleServer {
  server: Server;
  url: string;
  /** Whom the page talks to; until this is called every request answers 503. */
  configure(upstream: { gateway: string; issuer: string; directory?: string; units?: string; checkpointKey?: string }): void;
  close(): Promise<void>;
}

/**
 * Listens first (port 0 = any free one), is told the gateway and issuer after: the issuer must
 * know the console's origin (its redirect URI) before it starts, and the page only needs to know
 * the issuer's once it is loaded.
 */
export async function listenConsoleServer(options: Omit<ConsoleServerOptions, 'gateway' | 'issuer'>): Promise<ConsoleServer> {
  const dist = resolve(options.dist);
  const index = await readFile(join(dist, 'index.html')).catch(() => {
    throw new Error(`${dist}/index.html not found: build the console first (npm run build:console)`);
  });
  let upstream: { headers: Record<string, string>; config: string; directory?: string; units?: string; checkpointKey?: string } | null = null;

  const server = createServer((req, res) => {
    void (async () => {
      if (!upstream) {
        res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end('the console is starting\n');
        return;
      }
      const { headers, config, directory, units, checkpointKey } = upstream;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET and HEAD\n');
        return;
      }
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      if (path === '/config.json') {
        res.writeHead(200, { ...headers, 'content-type': TYPES['.json']!, 'cache-control': 'no-store' }).end(config);
        return;
      }
      if (path === '/directory/checkpoint-verifier.pub.jwk' && checkpointKey) {
        const body = await readFile(checkpointKey, 'utf8').catch(() => null);
        // Only ever a public key: a file with a private part is not served.
        if (body && !('d' in (JSON.parse(body) as object))) res.writeHead(200, { ...headers, 'content-type': TYPES['.json']!, 'cache-control': 'no-cache' }).end(body);
        else res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('no pinned checkpoint key is published here\n');
        return;
      }
      if (path.startsWith('/directory/') && directory) {
        const root = resolve(directory);
        const file = normalize(join(root, path.slice('/directory/'.length)));
        const body = file.startsWith(root + sep) && file.endsWith('.pub.jwk') ? await readFile(file).catch(() => null) : null;
        if (body) res.writeHead(200, { ...headers, 'content-type': TYPES['.json']!, 'cache-control': 'no-cache' }).end(body);
        else res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end(`the directory publishes no key at ${path}\n`);
        return;
      }
      // A unit's public encryption key and its certificate, the two names only: never encryption.jwk.
      const unitFile = /^\/units\/(\d{6})\/(encryption\.pub\.jwk|encryption\.cert\.jws)$/.exec(path);
      if (unitFile && units) {
        const body = await readFile(join(resolve(units), unitFile[1]!, unitFile[2]!), 'utf8').catch(() => null);
        const isPublic = body !== null && (unitFile[2] === 'encryption.cert.jws' || !('d' in (JSON.parse(body) as object)));
        if (body && isPublic) res.writeHead(200, { ...headers, 'content-type': unitFile[2]!.endsWith('.jwk') ? TYPES['.json']! : 'text/plain; charset=utf-8', 'cache-control': 'no-cache' }).end(body);
        else res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end(`no published key of unit ${unitFile[1]} at ${path}\n`);
        return;
      }
      const file = normalize(join(dist, path));
      if (path.startsWith('/assets/') && file.startsWith(dist + sep)) {
        const info = await stat(file).catch(() => null);
        if (info?.isFile()) {
          // Hashed names: a file never changes under its name.
          res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': info.size, 'cache-control': 'public, max-age=31536000, immutable' });
          if (req.method === 'HEAD') res.end();
          else createReadStream(file).pipe(res);
          return;
        }
        res.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end(`no asset ${path}\n`);
        return;
      }
      res.writeHead(200, { ...headers, 'content-type': TYPES['.html']!, 'cache-control': 'no-cache' }).end(req.method === 'HEAD' ? undefined : index);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => ok());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${address}:${port}`,
    configure({ gateway, issuer, directory, units, checkpointKey }) {
      const headers = {
        'content-security-policy': contentSecurityPolicy(gateway, issuer),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cross-origin-opener-policy': 'same-origin',
        'permissions-policy': 'camera=(), microphone=(), geolocation=()',
      };
      const config = JSON.stringify({ gateway: originOf(gateway, 'gateway'), issuer, clientId: options.clientId, auditOrigin: options.auditOrigin ?? 'qiao.gateway/audit-log' });
      const dir = directory ?? options.directory;
      const key = checkpointKey ?? options.checkpointKey;
      const unitsDir = units ?? options.units;
      upstream = { headers, config, ...(dir ? { directory: dir } : {}), ...(unitsDir ? { units: unitsDir } : {}), ...(key ? { checkpointKey: key } : {}) };
    },
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  // Checked before listening, so a bad URL never leaves a port open.
  contentSecurityPolicy(options.gateway, options.issuer);
  const server = await listenConsoleServer(options);
  server.configure({ gateway: options.gateway, issuer: options.issuer });
  return server;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      gateway: { type: 'string' },
      issuer: { type: 'string' },
      'client-id': { type: 'string', default: 'qiao-console' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8081' },
      dist: { type: 'string', default: '.build/console' },
      directory: { type: 'string' },
      units: { type: 'string' },
      'checkpoint-key': { type: 'string' },
      'audit-origin': { type: 'string', default: 'qiao.gateway/audit-log' },
    },
  });
  if (!values.gateway || !values.issuer) {
    console.error('usage: tsx client/console/serve.ts --gateway <url> --issuer <url> [--port 8081] [--dist .build/console]');
    process.exit(2);
  }
  startConsoleServer({ dist: values.dist!, gateway: values.gateway, issuer: values.issuer, clientId: values['client-id']!, ...(values.directory ? { directory: values.directory } : {}), ...(values.units ? { units: values.units } : {}), ...(values['checkpoint-key'] ? { checkpointKey: values['checkpoint-key'] } : {}), auditOrigin: values['audit-origin']!, host: values.host!, port: Number(values.port) }).then(
    ({ url }) => console.log(`web console listening on ${url}`),
    (err: Error) => {
      console.error(`console: ${err.message}`);
      process.exit(1);
    },
  );
}
