import type { JWK } from 'jose';
import { z } from 'zod';
import { SignedClaimsError, signClaims, verifyClaims } from './signed-claims';

/**
 * The receipt: a department's signed statement of what it served for one warrant. Compact JWS,
 * EdDSA, typ `qiao-receipt+jwt`, signed by the department's receipt key, which the directory (not
 * the gateway) publishes, so the gateway that stores and relays the receipt cannot forge one.
 * Specified in docs/formats.md; vector proto/vectors/receipt-v1.json.
 */
export const RECEIPT_TYPE = 'qiao-receipt+jwt';

export const ReceiptClaims = z.object({
  /** The department that served. */
  iss: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
  /** The warrant (`jti`) this answers. */
  warrant_id: z.string().min(1).max(128),
  /** The warrant's inquiry id: a receipt cannot be passed off as another inquiry's. */
  inquiry_id: z.string().min(1).max(128),
  /** The result format, e.g. qiao-stream-v1. */
  format: z.string().min(1),
  records: z.number().int().nonnegative(),
  /** Bytes of the stored result (header block and frames). */
  bytes: z.number().int().nonnegative(),
  /** Lowercase hex SHA-256 of those bytes. */
  ciphertext_sha256: z.string().regex(/^[0-9a-f]{64}$/),
  iat: z.number().int().nonnegative(),
  /**
   * Lowercase hex SHA-256 of the approval rules the department applied to the warrant, in their
   * canonical form (proto/approval-rules.ts `approvalRulesDigest`). Absent from receipts signed
   * before departments named their rules.
   */
  approval_rules: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
export type ReceiptClaims = z.infer<typeof ReceiptClaims>;

export class ReceiptError extends Error {
  override readonly name = 'ReceiptError';
}

export function signReceipt(claims: ReceiptClaims, privateJwk: JWK): Promise<string> {
  return signClaims(RECEIPT_TYPE, ReceiptClaims, claims, privateJwk);
}

/**
 * Verifies the signature with the department's published key, then that the receipt names this
 * department and warrant. Byte count and digest are compared by the caller with what it downloaded.
 */
export async function verifyReceipt(
  jws: string,
  expected: { department: string; warrantId: string; publicJwk: JWK },
): Promise<ReceiptClaims> {
  let claims: ReceiptClaims;
  try {
    claims = await verifyClaims(jws, RECEIPT_TYPE, ReceiptClaims, expected.publicJwk, `receipt of ${expected.department}`);
  } catch (error) {
    if (error instanceof SignedClaimsError) throw new ReceiptError(error.message);
    throw error;
  }
  if (claims.iss !== expected.department) throw new ReceiptError(`receipt is issued by ${claims.iss}, not ${expected.department}`);
  if (claims.warrant_id !== expected.warrantId) throw new ReceiptError(`receipt is for warrant ${claims.warrant_id}, not ${expected.warrantId}`);
  return claims;
}
