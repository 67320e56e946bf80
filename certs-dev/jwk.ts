import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { newEd25519PrivateKey, newP256PrivateKey } from '../proto/node/keys';
import type { PkiFiles } from './files';

/** What a key file of the layout holds: the key type and the JOSE metadata written with it. */
export interface JwkProfile {
  label: string;
  kty: 'OKP' | 'EC';
  crv: 'Ed25519' | 'P-256';
  alg: 'EdDSA' | 'ECDH-ES+A256KW';
  use: 'sig' | 'enc';
}

export const SIGNING_KEY: JwkProfile = { label: 'Ed25519 signing key', kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' };
export const UNIT_ENCRYPTION_KEY: JwkProfile = { label: 'P-256 encryption key', kty: 'EC', crv: 'P-256', alg: 'ECDH-ES+A256KW', use: 'enc' };

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y'] as const;

export interface JwkPair {
  privateJwk: JWK;
  publicJwk: JWK;
}

/**
 * Reuses the private JWK at `rel` when it parses and is the profile's key type, else creates one.
 * The key material is never replaced; only its metadata (kid, alg, use) is rewritten if it differs.
 */
export async function ensurePrivateJwk(files: PkiFiles, rel: string, profile: JwkProfile): Promise<JwkPair> {
  const found = await files.readJson(rel);
  if (found === undefined) {
    // Not generateKeyPairSync: exporting its keys can deadlock on Node 20 (proto/node/keys.ts).
    const key = profile.kty === 'OKP' ? newEd25519PrivateKey() : newP256PrivateKey();
    const pair = await toJwkPair(key, profile);
    await files.writeJson(rel, pair.privateJwk, { secret: true, action: 'created' });
    return pair;
  }
  const key = importPrivate(files, rel, found, profile);
  const pair = await toJwkPair(key, profile);
  const stored = found as JWK;
  for (const m of PUBLIC_MEMBERS) {
    if (stored[m] !== pair.privateJwk[m]) throw files.corrupt(rel, `has a public part ("${m}") that does not match its private key`);
  }
  const metadataDiffers = stored.kid !== pair.privateJwk.kid || stored.alg !== profile.alg || stored.use !== profile.use;
  if (metadataDiffers) {
    await files.writeJson(rel, pair.privateJwk, { secret: true, action: 'replaced', reason: 'kid/alg/use updated, same key' });
  } else {
    await files.keepSecret(rel);
    files.record(rel, 'reused');
  }
  return pair;
}

/** `{keys:[…]}` at `rel`: reused while it holds this public key (extra keys, e.g. for rotation, are kept), else rewritten. */
export async function ensurePublicJwks(files: PkiFiles, rel: string, publicJwk: JWK): Promise<{ keys: JWK[] }> {
  const found = await readQuietly(files, rel);
  const keys = isRecord(found) && Array.isArray(found.keys) ? (found.keys as unknown[]) : undefined;
  if (keys && keys.every(isRecord) && !keys.some((k) => 'd' in k) && keys.some((k) => samePublicKey(k, publicJwk))) {
    files.record(rel, 'reused');
    return { keys: keys as JWK[] };
  }
  const jwks = { keys: [publicJwk] };
  await files.writeJson(rel, jwks, { secret: false, ...derivedAction(found) });
  return jwks;
}

/** A single public JWK at `rel`, derived from its private key: rewritten whenever it differs. */
export async function ensurePublicJwk(files: PkiFiles, rel: string, publicJwk: JWK): Promise<JWK> {
  const found = await readQuietly(files, rel);
  if (isRecord(found) && !('d' in found) && samePublicKey(found, publicJwk) && found.alg === publicJwk.alg && found.use === publicJwk.use) {
    files.record(rel, 'reused');
    return found as JWK;
  }
  await files.writeJson(rel, publicJwk, { secret: false, ...derivedAction(found) });
  return publicJwk;
}

/** 32 random bytes as base64url text (no newline): the gateway's HMAC key for case pseudonyms. */
export async function ensureSecretBytes(files: PkiFiles, rel: string): Promise<Uint8Array> {
  const text = await files.read(rel);
  if (text === undefined) {
    const bytes = randomBytes(32);
    await files.write(rel, bytes.toString('base64url'), { secret: true, action: 'created' });
    return new Uint8Array(bytes);
  }
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9_-]{43}$/.test(trimmed)) throw files.corrupt(rel, 'is not 32 bytes in base64url');
  await files.keepSecret(rel);
  files.record(rel, 'reused');
  return new Uint8Array(Buffer.from(trimmed, 'base64url'));
}

function importPrivate(files: PkiFiles, rel: string, found: unknown, profile: JwkProfile): KeyObject {
  if (!isRecord(found) || found.kty !== profile.kty || found.crv !== profile.crv || typeof found.d !== 'string') {
    throw files.corrupt(rel, `is not a private ${profile.label} JWK (kty ${profile.kty}, crv ${profile.crv}, with "d")`);
  }
  try {
    return createPrivateKey({ key: found as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch (err) {
    throw files.corrupt(rel, `does not hold a usable ${profile.label} (${(err as Error).message})`);
  }
}

async function toJwkPair(privateKey: KeyObject, profile: JwkProfile): Promise<JwkPair> {
  const pub = await exportJWK(createPublicKey(privateKey));
  const priv = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  const meta = { kid, alg: profile.alg, use: profile.use };
  const publicJwk: JWK = { ...pickPublic(pub), ...meta };
  return { publicJwk, privateJwk: { ...publicJwk, d: priv.d } };
}

function pickPublic(jwk: JWK): JWK {
  const out: JWK = {};
  for (const m of PUBLIC_MEMBERS) if (jwk[m] !== undefined) out[m] = jwk[m];
  return out;
}

function samePublicKey(candidate: Record<string, unknown>, jwk: JWK): boolean {
  return candidate.kid === jwk.kid && PUBLIC_MEMBERS.every((m) => candidate[m] === jwk[m]);
}

/** Public files are derived data: an unreadable one is simply rewritten from the private key. */
async function readQuietly(files: PkiFiles, rel: string): Promise<unknown> {
  const text = await files.read(rel);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function derivedAction(found: unknown): { action: 'created' } | { action: 'replaced'; reason: string } {
  return found === undefined ? { action: 'created' } : { action: 'replaced', reason: 'did not hold the current public key' };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
