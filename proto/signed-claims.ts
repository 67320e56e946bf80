import { decodeProtectedHeader, type CryptoKey, type JWK } from 'jose';
import type { z } from 'zod';
import { canonicalJson } from './canonical-json';
import { EDDSA } from './eddsa';

/**
 * The small JWS shape shared by receipts and key certificates: compact JWS, alg EdDSA, a fixed
 * `typ`, `kid` of the signing key, JSON claims checked by a zod schema. (The warrant has its own
 * module because its checks map to adapter refusals one by one.)
 */
export class SignedClaimsError extends Error {
  override readonly name = 'SignedClaimsError';
}

/**
 * `canonical`: the payload is the RFC 8785 form of the claims (the statement, decisions, signer
 * certificates and revocation lists), so another implementation that rebuilds the claims gets the
 * same bytes; the older formats keep JSON.stringify, which their vectors fix.
 */
/**
 * A private Ed25519 key to sign with: a JWK with its `kid` (read from a key file), or a WebCrypto
 * key — in the browser a non-extractable one that script can use but never read — with its `kid`.
 */
export type SigningKey = JWK | { key: CryptoKey; kid: string };

export async function signClaims<T extends object>(
  typ: string,
  schema: z.ZodType<T>,
  claims: T,
  signingKey: SigningKey,
  opts: { canonical?: boolean } = {},
): Promise<string> {
  if (!signingKey.kid) throw new Error(`${typ} signing key has no kid`);
  const valid = schema.parse(claims);
  const text = opts.canonical ? canonicalJson(valid) : JSON.stringify(valid);
  const key = 'key' in signingKey && typeof signingKey.key === 'object' ? signingKey.key : (signingKey as JWK);
  return EDDSA.sign(new TextEncoder().encode(text), { alg: 'EdDSA', typ, kid: signingKey.kid }, key);
}

/** Signature first, then the schema; `what` names the object in error messages. */
export async function verifyClaims<T>(jws: string, typ: string, schema: z.ZodType<T>, publicJwk: JWK, what: string): Promise<T> {
  if ('d' in publicJwk) throw new Error(`${what}: verification was given a private key`);
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new SignedClaimsError(`${what} is not a compact JWS`);
  }
  if (header.alg !== 'EdDSA' || header.typ !== typ) throw new SignedClaimsError(`${what} must have alg EdDSA and typ ${typ}`);
  if (publicJwk.kid && header.kid !== publicJwk.kid) throw new SignedClaimsError(`${what} is signed with key ${String(header.kid)}, not the expected ${publicJwk.kid}`);
  let payload: Uint8Array;
  try {
    payload = await EDDSA.verify(jws, publicJwk);
  } catch {
    throw new SignedClaimsError(`${what} signature does not verify`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    throw new SignedClaimsError(`${what} payload is not JSON`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new SignedClaimsError(`${what} claim ${parsed.error.issues[0]?.path.join('.') || '(root)'} is invalid`);
  return parsed.data;
}
