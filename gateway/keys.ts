import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { CommitmentKeyError, decodeCommitmentKey } from '../proto/audit-commitment';

/**
 * The files the gateway reads from its PKI folder (the certs-dev layout). Only the gateway's own
 * secrets and the units' PUBLIC keys: a unit's private key is never read here.
 */
export interface GatewayKeys {
  tls: { ca: string; cert: string; key: string };
  warrantKey: JWK;
  /** What /.well-known/jwks.json publishes: keys/warrant-jwks.json (old and new key during a rotation) plus the signing key's public half. */
  warrantJwks: { keys: JWK[] };
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
  const signing = parseJwk(pkiDir, 'keys/warrant-signing.jwk', warrantKey);
  const { d: _private, ...signingPublic } = signing;
  const published = await readFile(join(pkiDir, 'keys/warrant-jwks.json'), 'utf8').then(
    (t) => (JSON.parse(t) as { keys?: JWK[] }).keys ?? [],
    () => [] as JWK[],
  );
  const keys = [signingPublic, ...published.filter((k) => k.kid !== signing.kid && !('d' in k))];
  return { tls: { ca, cert, key }, warrantKey: signing, warrantJwks: { keys }, pseudonymKey };
}

/** A unit's public encryption key and the directory authority's certificate of it. */
export interface UnitPublicKey {
  key: JWK;
  /** Compact JWS (proto/key-certificate.ts); null when the PKI folder has none. */
  certificate: string | null;
}

/**
 * Unit code → public encryption key and its certificate, from `<pki>/units/<code>/encryption.pub.jwk`
 * and `encryption.cert.jws` (development seeding; in production the directory provides both).
 */
export async function loadUnitPublicKeys(pkiDir: string): Promise<Record<string, UnitPublicKey>> {
  const codes = await readdir(join(pkiDir, 'units')).catch(() => [] as string[]);
  const entries = await Promise.all(
    codes.map(async (code) => {
      const path = `units/${code}/encryption.pub.jwk`;
      const jwk = parseJwk(pkiDir, path, await readPkiFile(pkiDir, path));
      if (jwk.d) throw new Error(`${join(pkiDir, path)} holds a private key: a unit's private key must never reach the gateway`);
      const certificate = await readFile(join(pkiDir, `units/${code}/encryption.cert.jws`), 'utf8').then((t) => t.trim(), () => null);
      return [code, { key: jwk, certificate }] as const;
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
  let commitmentKey: Uint8Array;
  try {
    // The key file's encoding is part of the commitment format: decoded as the contract says.
    commitmentKey = decodeCommitmentKey(commitment);
  } catch (err) {
    if (!(err instanceof CommitmentKeyError)) throw err;
    throw new Error(`${join(pkiDir, 'keys/audit-commitment.key')}: ${err.message}`);
  }
  return { checkpointKey: parseJwk(pkiDir, 'keys/checkpoint-signing.jwk', jwk), commitmentKey };
}

/** The directory authority's public key, which signing-key certificates must verify with; undefined when the PKI folder has none. */
export async function loadDirectoryAuthorityKey(pkiDir: string): Promise<JWK | undefined> {
  const text = await readFile(join(pkiDir, 'directory/authority.pub.jwk'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const jwk = parseJwk(pkiDir, 'directory/authority.pub.jwk', text);
  if (jwk.d) throw new Error(`${join(pkiDir, 'directory/authority.pub.jwk')} holds a private key: the gateway must never hold the directory authority's private key`);
  return jwk;
}
