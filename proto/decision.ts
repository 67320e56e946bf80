import type { JWK } from 'jose';
import { z } from 'zod';
import { encodeBase64url, encodeUtf8 } from './bytes';
import { sha256 } from './hash';
import { certifiedSignerJwk, SignerRole, type SignerCertificateClaims } from './signer-certificate';
import { SignedClaimsError, signClaims, verifyClaims, type SigningKey } from './signed-claims';

/**
 * A signed decision: one approver's approval or rejection of one inquiry statement, signed on
 * the client with the approver's certified key. Compact JWS, EdDSA, typ `qiao-decision+jwt`,
 * `kid` = the approver's key id, payload RFC 8785. It signs the digest of the statement's JWS,
 * so it cannot be moved to another inquiry or survive a widened statement; the comment is in it
 * as a digest only (departments do not read comments). Specified in docs/formats.md.
 */
export const DECISION_TYPE = 'qiao-decision+jwt';

const digest = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url SHA-256 digest');

export const DecisionClaims = z.strictObject({
  v: z.literal(1),
  inquiry_id: z.uuid(),
  /** statementDigest() of the statement's compact JWS. */
  statement_sha256: digest,
  decision: z.enum(['approve', 'reject']),
  /** The chain step (0-based) an approval fills; null for a rejection. */
  step: z.number().int().nonnegative().max(32).nullable(),
  /** The certified role the approver acts in. */
  role: SignerRole,
  /** base64url SHA-256 of the comment's UTF-8 bytes. */
  comment_sha256: digest,
  iat: z.number().int().nonnegative(),
});
export type DecisionClaims = z.infer<typeof DecisionClaims>;

export class DecisionError extends Error {
  override readonly name = 'DecisionError';
}

export const commentDigest = (comment: string): string => encodeBase64url(sha256(encodeUtf8(comment)));

export function signDecision(claims: DecisionClaims, signer: SigningKey): Promise<string> {
  return signClaims(DECISION_TYPE, DecisionClaims, claims, signer, { canonical: true });
}

export async function verifyDecision(jws: string, signer: SignerCertificateClaims): Promise<DecisionClaims> {
  try {
    return await verifyClaims(jws, DECISION_TYPE, DecisionClaims, certifiedSignerJwk(signer), 'decision');
  } catch (error) {
    if (error instanceof SignedClaimsError) throw new DecisionError(error.message);
    throw error;
  }
}
