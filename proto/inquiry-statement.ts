import { calculateJwkThumbprint, decodeProtectedHeader, type JWK } from 'jose';
import { z } from 'zod';
import { encodeBase64url, encodeUtf8 } from './bytes';
import { canonicalJson } from './canonical-json';
import { sha256 } from './hash';
import { certifiedSignerJwk, SIGNER_KEY_ID, type SignerCertificateClaims } from './signer-certificate';
import { SignedClaimsError, signClaims, verifyClaims, type SigningKey } from './signed-claims';
import { OrganisationSubject, PersonSubject } from './subjects';

/**
 * The inquiry statement: what an investigator asks, signed on the client with the investigator's
 * own certified key. Compact JWS, EdDSA, typ `qiao-statement+jwt`, `kid` = the signer's key id,
 * payload RFC 8785. Subjects and categories are not in it in the clear: each category is one
 * *disclosure* {category, subjects, salt}, and the statement lists the SHA-256 of each
 * disclosure's canonical JSON, sorted. A warrant carries only the disclosures of its
 * department's categories; the department hashes them, finds the digests in the signed list,
 * and learns nothing of the other categories but how many there are (the random salt keeps a
 * digest from being guessed). Specified in docs/formats.md ("Inquiry statement").
 */
export const STATEMENT_TYPE = 'qiao-statement+jwt';

const digest = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url SHA-256 digest');
const UNIT = z.string().regex(/^\d{6}$/);

/** A subject as statements and warrants carry it: kind and checksummed id, never a name. */
export const StatementSubject = z.discriminatedUnion('kind', [
  PersonSubject.pick({ kind: true, id: true }),
  OrganisationSubject.pick({ kind: true, id: true }),
]);
export type StatementSubject = z.infer<typeof StatementSubject>;

export const Disclosure = z.strictObject({
  category: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/),
  /** The subjects asked about in this category, in the order of the inquiry. */
  subjects: z.array(StatementSubject).min(1).max(50),
  /** 16 random bytes, base64url: a digest cannot be confirmed by guessing its contents. */
  salt: z.string().regex(/^[A-Za-z0-9_-]{22}$/),
});
export type Disclosure = z.infer<typeof Disclosure>;

export const StatementClaims = z.strictObject({
  v: z.literal(1),
  /** Chosen by the client (a UUID) so it can be signed before the gateway stores anything. */
  inquiry_id: z.uuid(),
  /** The unit the inquiry is for (GB/T 2260); another than the signer's in entrusted mode. */
  unit: UNIT,
  legal_basis: z.string().min(1).max(1000),
  /** base64url SHA-256 of the RFC 8785 form of {case_reference, salt}: binds the case without telling it. */
  case_commitment: digest,
  /** Where the results may go: the unit and the RFC 7638 SHA-256 thumbprint of its certified encryption key. */
  recipient: z.strictObject({ unit: UNIT, key_thumbprint: digest }),
  /** base64url SHA-256 of each disclosure's RFC 8785 form, sorted, one per category. */
  disclosures: z
    .array(digest)
    .min(1)
    .max(20)
    .refine((d) => d.every((x, i) => i === 0 || d[i - 1]! < x), { message: 'must be sorted and unique' }),
  /** When it was signed, Unix seconds; the signer's certificate must be valid then. */
  iat: z.number().int().nonnegative(),
  /** A follow-up inquiry (二次查询): the inquiry it follows from. Absent for a first inquiry; optional so that statements signed before it existed stay valid v1. */
  parent_id: z.uuid().optional(),
});
export type StatementClaims = z.infer<typeof StatementClaims>;

export class StatementError extends Error {
  override readonly name = 'StatementError';
}

export const digestOf = (value: unknown): string => encodeBase64url(sha256(encodeUtf8(canonicalJson(value))));
/** Of exactly the three members, whatever else an object carries. */
export const disclosureDigest = (d: Disclosure): string =>
  digestOf({ category: d.category, subjects: d.subjects.map((s) => ({ kind: s.kind, id: s.id })), salt: d.salt });
export const caseCommitment = (caseReference: string, salt: string): string => digestOf({ case_reference: caseReference, salt });
/** What a decision signs over: the SHA-256 of the statement's compact JWS text. */
export const statementDigest = (statementJws: string): string => encodeBase64url(sha256(encodeUtf8(statementJws)));

/**
 * The RFC 7638 SHA-256 thumbprint of an EC key: the digest of its required members in their
 * order, computed here on the calling thread (jose's goes through WebCrypto's digest, a thread hop
 * for 100 bytes); any other key type is jose's to compute.
 */
export async function recipientKeyThumbprint(key: JWK): Promise<string> {
  if (key.kty === 'EC' && typeof key.crv === 'string' && typeof key.x === 'string' && typeof key.y === 'string') {
    return encodeBase64url(sha256(encodeUtf8(JSON.stringify({ crv: key.crv, kty: key.kty, x: key.x, y: key.y }))));
  }
  return calculateJwkThumbprint({ kty: key.kty, crv: key.crv, x: key.x, y: key.y } as JWK, 'sha256');
}

export function newSalt(): string {
  return encodeBase64url(globalThis.crypto.getRandomValues(new Uint8Array(16)));
}

/** One disclosure per category, each with a fresh salt. */
export function makeDisclosures(categories: readonly string[], subjects: readonly StatementSubject[]): Disclosure[] {
  const plain = subjects.map((s) => ({ kind: s.kind, id: s.id }) as StatementSubject);
  return categories.map((category) => ({ category, subjects: plain, salt: newSalt() }));
}

export function signStatement(claims: StatementClaims, signer: SigningKey): Promise<string> {
  return signClaims(STATEMENT_TYPE, StatementClaims, claims, signer, { canonical: true });
}

/** The key id in a statement's or decision's header, read before anything is verified (to find its certificate). */
export function signedKeyId(jws: string): string | undefined {
  try {
    const kid = decodeProtectedHeader(jws).kid;
    return typeof kid === 'string' && SIGNER_KEY_ID.test(kid) ? kid : undefined;
  } catch {
    return undefined;
  }
}

/** The signature with the certified key (already checked against the authority), then the claims. */
export async function verifyStatement(jws: string, signer: SignerCertificateClaims): Promise<StatementClaims> {
  try {
    return await verifyClaims(jws, STATEMENT_TYPE, StatementClaims, certifiedSignerJwk(signer), 'inquiry statement');
  } catch (error) {
    if (error instanceof SignedClaimsError) throw new StatementError(error.message);
    throw error;
  }
}
