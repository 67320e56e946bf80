import type { JWK } from 'jose';
import { z } from 'zod';
import { KEY_CERT_ISSUER } from './key-certificate';
import { SignedClaimsError, signClaims, verifyClaims } from './signed-claims';

/**
 * A signing-key certificate: the directory authority's statement that an Ed25519 public key may
 * sign inquiry statements or decisions for a unit in the roles named, during a validity period.
 * Compact JWS, EdDSA, typ `qiao-signer-cert+jwt`, payload RFC 8785, signed by the same directory
 * authority key that certifies unit encryption keys (never the gateway's). It names no person:
 * `kid` is a pseudonymous key id the directory alone maps back to a person, for oversight.
 * Specified in docs/formats.md ("Signing-key certificate"); vector proto/vectors/approvals-v1.json.
 */
export const SIGNER_CERT_TYPE = 'qiao-signer-cert+jwt';

/** The roles whose holders sign: investigators sign statements, approvers decisions. */
export const SIGNER_ROLES = ['investigator', 'approver', 'regional_approver'] as const;
export const SignerRole = z.enum(SIGNER_ROLES);
export type SignerRole = z.infer<typeof SignerRole>;

export const SIGNER_KEY_ID = /^[A-Za-z0-9_-]{8,64}$/;
const b64url = z.string().regex(/^[A-Za-z0-9_-]+$/);

export const SignerKey = z.strictObject({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: b64url });
export type SignerKey = z.infer<typeof SignerKey>;

export const SignerCertificateClaims = z.strictObject({
  iss: z.literal(KEY_CERT_ISSUER),
  /** Pseudonymous key id: the `kid` of every JWS this key signs. */
  kid: z.string().regex(SIGNER_KEY_ID),
  /** GB/T 2260 code of the signer's unit. */
  unit: z.string().regex(/^\d{6}$/),
  roles: z
    .array(SignerRole)
    .min(1)
    .refine((r) => new Set(r).size === r.length, { message: 'roles must be unique' }),
  key: SignerKey,
  /** Valid from `nbf` (inclusive) to `exp` (exclusive), Unix seconds. */
  nbf: z.number().int().nonnegative(),
  exp: z.number().int().nonnegative(),
});
export type SignerCertificateClaims = z.infer<typeof SignerCertificateClaims>;

export class SignerCertificateError extends Error {
  override readonly name = 'SignerCertificateError';
}

export function signSignerCertificate(claims: SignerCertificateClaims, authorityPrivateJwk: JWK): Promise<string> {
  return signClaims(SIGNER_CERT_TYPE, SignerCertificateClaims, claims, authorityPrivateJwk, { canonical: true });
}

/**
 * Certificates that verified, by authority key and exact text: a department meets the same few
 * approvers' certificates on warrant after warrant. A pure memo (the same bytes under the same
 * key verify the same way; validity in time and revocation are checked by the caller each time).
 */
const verified = new Map<string, SignerCertificateClaims>();
const MAX_VERIFIED = 1024;

/** Checks the authority's signature and the claims; validity at a time is `certificateValidAt`. */
export async function verifySignerCertificate(cert: string, authorityJwk: JWK): Promise<SignerCertificateClaims> {
  // The authority key's kid too: a certificate signed under another kid does not verify.
  const id = `${authorityJwk.kty}\0${authorityJwk.crv}\0${authorityJwk.x}\0${authorityJwk.kid ?? ''}\0${cert}`;
  const known = verified.get(id);
  if (known) return structuredClone(known);
  let claims: SignerCertificateClaims;
  try {
    claims = await verifyClaims(cert, SIGNER_CERT_TYPE, SignerCertificateClaims, authorityJwk, 'signing-key certificate');
  } catch (error) {
    if (error instanceof SignedClaimsError) throw new SignerCertificateError(error.message);
    throw error;
  }
  if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
  verified.set(id, structuredClone(claims));
  return claims;
}

export function certificateValidAt(claims: SignerCertificateClaims, unixSeconds: number): boolean {
  return unixSeconds >= claims.nbf && unixSeconds < claims.exp;
}

/** The certified key as a JWK that verifies the key's signatures (its kid is the certificate's). */
export function certifiedSignerJwk(claims: SignerCertificateClaims): JWK {
  return { ...claims.key, kid: claims.kid, alg: 'EdDSA', use: 'sig' };
}
