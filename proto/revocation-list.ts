import type { JWK } from 'jose';
import { z } from 'zod';
import { KEY_CERT_ISSUER } from './key-certificate';
import { SIGNER_KEY_ID } from './signer-certificate';
import { SignedClaimsError, signClaims, verifyClaims } from './signed-claims';

/**
 * The directory authority's list of revoked signing keys. Compact JWS, EdDSA, typ
 * `qiao-revocations+jwt`, payload RFC 8785. A department fetches it from the directory (not the
 * gateway) and refuses every warrant while the freshest list it holds is older than its limit
 * (fail-closed): a key revoked at the directory stops counting within that limit everywhere.
 * A revoked key counts for nothing, whenever its signatures say they were made — a thief of the
 * key can backdate them. Specified in docs/formats.md ("Revocation list").
 */
export const REVOCATIONS_TYPE = 'qiao-revocations+jwt';

export const RevocationListClaims = z.strictObject({
  iss: z.literal(KEY_CERT_ISSUER),
  /** When the authority issued this list (Unix seconds): its freshness. */
  iat: z.number().int().nonnegative(),
  /** Increases with every list, so an older list cannot replace a newer one. */
  serial: z.number().int().nonnegative(),
  revoked: z.array(
    z.strictObject({
      kid: z.string().regex(SIGNER_KEY_ID),
      /** When the directory revoked it (for the record; it counts from the start either way). */
      revoked_at: z.number().int().nonnegative(),
    }),
  ),
});
export type RevocationListClaims = z.infer<typeof RevocationListClaims>;

export class RevocationListError extends Error {
  override readonly name = 'RevocationListError';
  constructor(
    readonly code: 'invalid' | 'stale',
    message: string,
  ) {
    super(message);
  }
}

export function signRevocationList(claims: RevocationListClaims, authorityPrivateJwk: JWK): Promise<string> {
  return signClaims(REVOCATIONS_TYPE, RevocationListClaims, claims, authorityPrivateJwk, { canonical: true });
}

/** The authority's signature and the claims; `maxAgeSec` given, a list issued longer ago than that is `stale`. */
export async function verifyRevocationList(
  jws: string,
  opts: { authorityJwk: JWK; now?: Date; maxAgeSec?: number },
): Promise<RevocationListClaims> {
  let claims: RevocationListClaims;
  try {
    claims = await verifyClaims(jws, REVOCATIONS_TYPE, RevocationListClaims, opts.authorityJwk, 'revocation list');
  } catch (error) {
    if (error instanceof SignedClaimsError) throw new RevocationListError('invalid', error.message);
    throw error;
  }
  const now = Math.floor((opts.now ?? new Date()).getTime() / 1000);
  if (opts.maxAgeSec !== undefined && now - claims.iat > opts.maxAgeSec) {
    throw new RevocationListError('stale', `revocation list was issued ${now - claims.iat} s ago, more than the ${opts.maxAgeSec} s allowed`);
  }
  return claims;
}
