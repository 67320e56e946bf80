import type { JWK } from 'jose';
import { z } from 'zod';
import { SignedClaimsError, signClaims, verifyClaims } from './signed-claims';

/**
 * A unit key certificate: the directory authority's statement that this public encryption key is
 * the unit's. Compact JWS, EdDSA, typ `qiao-key-cert+jwt`, signed by the directory authority key,
 * which is NOT the gateway's: departments pin the authority's public key, so a gateway cannot
 * put a key of its own into a warrant. Specified in docs/formats.md.
 */
export const KEY_CERT_TYPE = 'qiao-key-cert+jwt';
export const KEY_CERT_ISSUER = 'qiao-directory';

const b64url = z.string().regex(/^[A-Za-z0-9_-]+$/);
export const CertifiedKey = z.looseObject({ kty: z.literal('EC'), crv: z.literal('P-256'), x: b64url, y: b64url });

export const KeyCertificateClaims = z.object({
  iss: z.literal(KEY_CERT_ISSUER),
  /** GB/T 2260 code of the unit. */
  unit: z.string().min(1).max(64),
  key: CertifiedKey,
  iat: z.number().int().nonnegative(),
  exp: z.number().int().nonnegative(),
});
export type KeyCertificateClaims = z.infer<typeof KeyCertificateClaims>;

export class KeyCertificateError extends Error {
  override readonly name = 'KeyCertificateError';
  /** Which check failed: the authority's signature (or the format), the validity, the unit, or the key. */
  constructor(
    message: string,
    readonly problem: 'certificate' | 'expired' | 'other-unit' | 'other-key' = 'certificate',
  ) {
    super(message);
  }
}

export function signKeyCertificate(claims: KeyCertificateClaims, authorityPrivateJwk: JWK): Promise<string> {
  const key = { kty: claims.key.kty, crv: claims.key.crv, x: claims.key.x, y: claims.key.y };
  return signClaims(KEY_CERT_TYPE, KeyCertificateClaims, { ...claims, key }, authorityPrivateJwk);
}

/**
 * Certificates whose signature and claims verified, by authority key and exact text: the unit's
 * key certificate comes with every inquiry of the unit, to the client, the gateway and each
 * department. A pure memo (the same bytes under the same key verify the same way); expiry, unit
 * and key are checked against the caller's expectation each time.
 */
const verified = new Map<string, KeyCertificateClaims>();
const MAX_VERIFIED = 1024;

/** Checks that `cert` is the authority's, valid now, and certifies exactly `key` for `unit`. */
export async function verifyKeyCertificate(
  cert: string,
  expected: { unit: string; key: JWK; authorityJwk: JWK; now?: Date },
): Promise<KeyCertificateClaims> {
  // The authority key's kid too: a certificate signed under another kid does not verify.
  const id = `${expected.authorityJwk.kty}\0${expected.authorityJwk.crv}\0${expected.authorityJwk.x}\0${expected.authorityJwk.kid ?? ''}\0${cert}`;
  let claims = verified.get(id);
  if (claims) claims = structuredClone(claims);
  else {
    try {
      claims = await verifyClaims(cert, KEY_CERT_TYPE, KeyCertificateClaims, expected.authorityJwk, 'key certificate');
    } catch (error) {
      if (error instanceof SignedClaimsError) throw new KeyCertificateError(error.message);
      throw error;
    }
    if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
    verified.set(id, structuredClone(claims));
  }
  const now = Math.floor((expected.now ?? new Date()).getTime() / 1000);
  if (now >= claims.exp) throw new KeyCertificateError('key certificate has expired', 'expired');
  if (claims.unit !== expected.unit) throw new KeyCertificateError(`key certificate is for unit ${claims.unit}, not ${expected.unit}`, 'other-unit');
  const same = (['kty', 'crv', 'x', 'y'] as const).every((m) => claims.key[m] === expected.key[m]);
  if (!same) throw new KeyCertificateError(`the key is not the one certified for unit ${expected.unit}`, 'other-key');
  return claims;
}
