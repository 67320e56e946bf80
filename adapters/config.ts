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
}

const WarrantJwks = z.object({ keys: z.array(z.looseObject({ kty: z.string(), kid: z.string() })).min(1) });

/** The files an adapter needs from the dev PKI layout (see certs-dev/README.md). */
export function adapterPkiPaths(pkiDir: string, department: string) {
  return {
    ca: path.join(pkiDir, 'pki', 'ca.crt'),
    cert: path.join(pkiDir, 'pki', 'departments', `${department}.crt`),
    key: path.join(pkiDir, 'pki', 'departments', `${department}.key`),
    warrantJwks: path.join(pkiDir, 'keys', 'warrant-jwks.json'),
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
  return { ca, cert, key, warrantKeys: parsed.data.keys as JWK[] };
}
