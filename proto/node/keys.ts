import { createECDH, createPrivateKey, createPublicKey, randomBytes, type ECDH, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';

/**
 * New key pairs, made without node:crypto's key-generation jobs. On Node 20 (seen on v20.20.2) a
 * key from `generateKeyPair`/`generateKeyPairSync` — and WebCrypto's `generateKey`, which jose's
 * `generateKeyPair` calls — shares a mutex with the job that made it; exporting that key (JWK,
 * PEM or DER) holds the mutex, and a garbage collection during the export that finalises the job
 * locks it again: the process's thread waits on itself forever (gdb: `~KeyGenJob()` ←
 * `InvokeFirstPassWeakCallbacks` ← a string allocation in `ExportJWKEcKey`/`ExportJWKEdKey`).
 * A loop of P-256 or Ed25519 generations, each exported at once, hangs within a few ten
 * thousand. So keys are made from random bytes here (a P-256 pair through ECDH, an Ed25519 seed
 * wrapped as PKCS #8) and imported, which involves no job; the result's header does the same for
 * its ephemeral key (primitives.ts).
 */

/** RFC 8410's PKCS #8 encoding of an Ed25519 private key, up to its 32-byte seed. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function newEd25519PrivateKey(): KeyObject {
  const seed = randomBytes(32);
  try {
    return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  } finally {
    seed.fill(0);
  }
}

/** A fresh P-256 key agreement: its uncompressed public point (0x04, x, y) and the ECDH that holds the private scalar. */
export function newP256Agreement(): { ecdh: ECDH; point: Buffer } {
  const ecdh = createECDH('prime256v1');
  return { ecdh, point: ecdh.generateKeys() };
}

export function newP256PrivateKey(): KeyObject {
  const { ecdh, point } = newP256Agreement();
  const scalar = ecdh.getPrivateKey();
  const d = Buffer.concat([Buffer.alloc(32 - scalar.length), scalar]);
  try {
    const b64u = (b: Buffer) => b.toString('base64url');
    return createPrivateKey({ key: { kty: 'EC', crv: 'P-256', x: b64u(point.subarray(1, 33)), y: b64u(point.subarray(33)), d: b64u(d) }, format: 'jwk' });
  } finally {
    d.fill(0);
    scalar.fill(0);
  }
}

/** A fresh Ed25519 signing key as JWKs with `kid`, `alg` and `use` (tests and dev tools: warrant, receipt and signer keys). */
export function newEd25519SigningJwks(kid: string): { publicJwk: JWK; privateJwk: JWK } {
  const { x, d } = newEd25519PrivateKey().export({ format: 'jwk' });
  const publicJwk: JWK = { kty: 'OKP', crv: 'Ed25519', x: x!, kid, alg: 'EdDSA', use: 'sig' };
  return { publicJwk, privateJwk: { ...publicJwk, d: d! } };
}

/**
 * A key made here (not by a generation job: exporting one of those is the hazard) as JWKs with its
 * members alone, no `kid`, `alg` or `use`: the private one as node:crypto exports it and its public
 * half. For tests that want a bare key (or add their own members), e.g. `jwkPair(newP256PrivateKey())`.
 */
export function jwkPair(key: KeyObject): { publicJwk: JWK; privateJwk: JWK } {
  return { publicJwk: createPublicKey(key).export({ format: 'jwk' }) as JWK, privateJwk: key.export({ format: 'jwk' }) as JWK };
}
