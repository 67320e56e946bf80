import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import type { JWK } from 'jose';
import { z } from 'zod';
import { DEPARTMENT_NAME } from '../proto/identity';

/** Command line of adapters/main.ts, parsed once with commander and validated with zod. */
export const AdapterArgs = z.object({
  department: z.string().regex(DEPARTMENT_NAME, 'must be a snake_case department name, e.g. public_security'),
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535),
  pkiDir: z.string().min(1),
  /** The gateway's published warrant JWKS, e.g. http://127.0.0.1:8080/.well-known/jwks.json. */
  gatewayJwksUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** The served-warrant log; default .data/adapters/<department>/served-log.ndjson. */
  servedLog: z.string().min(1).optional(),
  /** The directory's revocation list (http(s) URL or file); default <pki-dir>/directory/revocations.jws. */
  revocations: z.string().min(1).optional(),
  /** Refuse every warrant while the freshest revocation list is older than this (seconds). */
  revocationsMaxAge: z.coerce.number().int().min(60).max(30 * 86_400).default(48 * 3600),
  /** This department's own minimum approvals; default the demo department's approval-rules.json. */
  approvalRules: z.string().min(1).optional(),
  /** The operations listener (GET /metrics, GET /ready); none without a port. */
  metricsHost: z.string().min(1),
  metricsPort: z.coerce.number().int().min(0).max(65535).optional(),
  /** Demo bank only: how many transactions the Muhudunbao cooperative's account streams (benchmarks). */
  demoVolume: z.coerce.number().int().positive().optional(),
  /**
   * Worker threads that generate and serialise answers beside the thread that encrypts and sends
   * them (kit/source-threads.ts); absent: the department's default (adapters/main.ts).
   */
  sourceThreads: z.coerce.number().int().min(0).max(16).optional(),
});
export type AdapterArgs = z.infer<typeof AdapterArgs>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export function parseAdapterArgs(argv: readonly string[]): AdapterArgs {
  const program = new Command('adapter')
    .description('Run a demo department adapter (mTLS gRPC) on the Qiao adapter kit')
    .requiredOption('--department <name>', 'department to serve, e.g. public_security')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', '0')
    .option('--pki-dir <dir>', 'dev PKI folder written by certs-dev', '.dev')
    .option('--gateway-jwks-url <url>', "the gateway's warrant JWKS (fetched on the first warrant, refreshed on an unknown kid)")
    .option('--served-log <file>', 'the served-warrant log (default .data/adapters/<department>/served-log.ndjson)')
    .option('--revocations <location>', "the directory's revocation list, URL or file (default <pki-dir>/directory/revocations.jws)")
    .option('--revocations-max-age <seconds>', 'refuse every warrant while the freshest revocation list is older than this', '172800')
    .option('--approval-rules <file>', "this department's own minimum approvals (default the demo department's approval-rules.json)")
    .option('--metrics-host <host>', 'where the operations listener (GET /metrics, GET /ready) listens', '127.0.0.1')
    .option('--metrics-port <port>', 'its port (0 = any free one); without it there is no operations listener')
    .option('--source-threads <n>', 'worker threads generating and serialising answers while the main thread encrypts and sends (0 = none; default 1 for the bank, 0 for the others)')
    .option('--demo-volume <count>', 'demo bank only: transactions of the Muhudunbao cooperative (default 3400000, ≈ 970 MiB)')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: (s) => process.stdout.write(s) });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    throw new ConfigError((error as Error).message.replace(/^error: /, ''));
  }
  const parsed = AdapterArgs.safeParse(program.opts());
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${issue.message}`);
  }
  return parsed.data;
}

export interface AdapterPki {
  ca: string;
  cert: string;
  key: string;
  warrantKeys: JWK[];
  directoryAuthorityKey: JWK;
  receiptKey: JWK;
}

const WarrantJwks = z.object({ keys: z.array(z.looseObject({ kty: z.string(), kid: z.string() })).min(1) });

/** The files an adapter needs from the dev PKI layout (see certs-dev/README.md). */
export function adapterPkiPaths(pkiDir: string, department: string) {
  return {
    ca: path.join(pkiDir, 'pki', 'ca.crt'),
    cert: path.join(pkiDir, 'pki', 'departments', `${department}.crt`),
    key: path.join(pkiDir, 'pki', 'departments', `${department}.key`),
    warrantJwks: path.join(pkiDir, 'keys', 'warrant-jwks.json'),
    directoryAuthority: path.join(pkiDir, 'directory', 'authority.pub.jwk'),
    receiptKey: path.join(pkiDir, 'keys', 'receipts', `${department}.jwk`),
  };
}

export async function loadAdapterPki(pkiDir: string, department: string): Promise<AdapterPki> {
  const paths = adapterPkiPaths(pkiDir, department);
  const read = async (file: string) => {
    try {
      return await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new ConfigError(
        `missing ${file}: generate the dev PKI first with \`npm run pki:generate\` (or run \`npm start\`, which does it)`,
      );
    }
  };
  // One after the other, so the message names the first missing file, always the same one.
  const ca = await read(paths.ca);
  const cert = await read(paths.cert);
  const key = await read(paths.key);
  const jwksText = await read(paths.warrantJwks);
  let jwks: unknown;
  try {
    jwks = JSON.parse(jwksText);
  } catch {
    throw new ConfigError(`${paths.warrantJwks} is not JSON`);
  }
  const parsed = WarrantJwks.safeParse(jwks);
  if (!parsed.success) throw new ConfigError(`${paths.warrantJwks} is not a JWKS with at least one key`);
  const jsonFile = async (file: string): Promise<JWK> => {
    try {
      return JSON.parse(await read(file)) as JWK;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`${file} is not JSON`);
    }
  };
  const directoryAuthorityKey = await jsonFile(paths.directoryAuthority);
  const receiptKey = await jsonFile(paths.receiptKey);
  return { ca, cert, key, warrantKeys: parsed.data.keys as JWK[], directoryAuthorityKey, receiptKey };
}
