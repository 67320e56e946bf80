import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';

/**
 * The files the gateway reads from its PKI folder (the certs-dev layout). Only the gateway's own
 * secrets and the units' PUBLIC keys: a unit's private key is never read here.
 */
export interface GatewayKeys {
  tls: { ca: string; cert: string; key: string };
  warrantKey: JWK;
  pseudonymKey: Uint8Array;
}

export async function loadGatewayKeys(pkiDir: string): Promise<GatewayKeys> {
  const [ca, cert, key, warrantKey, pseudonym] = await Promise.all([
    readPkiFile(pkiDir, 'pki/ca.crt'),
    readPkiFile(pkiDir, 'pki/gateway-client.crt'),
    readPkiFile(pkiDir, 'pki/gateway-client.key'),
    readPkiFile(pkiDir, 'keys/warrant-signing.jwk'),
    readPkiFile(pkiDir, 'keys/pseudonym.key'),
  ]);
  const pseudonymKey = Buffer.from(pseudonym.trim(), 'base64url');
  if (pseudonymKey.length < 32) throw new Error(`${join(pkiDir, 'keys/pseudonym.key')}: the pseudonym key must be at least 32 bytes (base64url)`);
  return { tls: { ca, cert, key }, warrantKey: parseJwk(pkiDir, 'keys/warrant-signing.jwk', warrantKey), pseudonymKey };
}

/** Unit code → public encryption key, from `<pki>/units/<code>/encryption.pub.jwk` (development seeding). */
export async function loadUnitPublicKeys(pkiDir: string): Promise<Record<string, JWK>> {
  const codes = await readdir(join(pkiDir, 'units')).catch(() => [] as string[]);
  const entries = await Promise.all(
    codes.map(async (code) => {
      const path = `units/${code}/encryption.pub.jwk`;
      const jwk = parseJwk(pkiDir, path, await readPkiFile(pkiDir, path));
      if (jwk.d) throw new Error(`${join(pkiDir, path)} holds a private key: a unit's private key must never reach the gateway`);
      return [code, jwk] as const;
    }),
  );
  return Object.fromEntries(entries);
}

async function readPkiFile(pkiDir: string, path: string): Promise<string> {
  try {
    return await readFile(join(pkiDir, path), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      `${join(pkiDir, path)}: ${code === 'ENOENT' ? 'missing' : `unreadable (${code})`}; ` +
        'in development run `npm run pki:generate` (or `npm start`, which does it), or set QIAO_PKI_DIR to the PKI folder',
    );
  }
}

function parseJwk(pkiDir: string, path: string, text: string): JWK {
  try {
    return JSON.parse(text) as JWK;
  } catch {
    throw new Error(`${join(pkiDir, path)}: not valid JSON; delete it and run \`npm run pki:generate\``);
  }
}

/** The audit log's keys: the checkpoint signing key (Ed25519 JWK) and the commitment HMAC key. */
export async function loadAuditKeys(pkiDir: string): Promise<{ checkpointKey: JWK; commitmentKey: Uint8Array }> {
  const [jwk, commitment] = await Promise.all([readPkiFile(pkiDir, 'keys/checkpoint-signing.jwk'), readPkiFile(pkiDir, 'keys/audit-commitment.key')]);
  const commitmentKey = Buffer.from(commitment.trim(), 'base64url');
  if (commitmentKey.length < 32) throw new Error(`${join(pkiDir, 'keys/audit-commitment.key')}: the commitment key must be at least 32 bytes (base64url)`);
  return { checkpointKey: parseJwk(pkiDir, 'keys/checkpoint-signing.jwk', jwk), commitmentKey };
}
