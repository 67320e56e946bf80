import { z } from 'zod';
import { AuditAction } from './audit-entry';
import { decodeBase64, encodeBase64, encodeUtf8 } from './bytes';
import { canonicalJson } from './canonical-json';
import { CheckpointError, noteVerifierFromJwk, parseVerifierKey, type NoteVerifier } from './checkpoint';
import { leafHash, ProofError, type Hash } from './merkle';

/**
 * The audit log as it travels to auditors and departments: one entry format and the HTTP
 * answers of the gateway's /v1/audit endpoints. Verification code (gateway CLI, department
 * reconciliation) parses with these schemas and hashes exactly the `entry` text it received.
 */

/**
 * One entry, version 1. Hashed as its RFC 8785 canonical JSON: leaf = SHA-256(0x00 ‖ text). The
 * actions and each one's details are proto/audit-entry.ts (`checkAuditEntry`).
 */
export const AuditLogEntry = z.object({
  v: z.literal(1),
  /** When the gateway appended it (ISO 8601). The order that counts is the index. */
  at: z.string(),
  action: AuditAction,
  actor: z.object({ userId: z.string(), unitId: z.string() }).optional(),
  inquiryId: z.string().optional(),
  requestId: z.string().optional(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditLogEntry = z.infer<typeof AuditLogEntry>;

export class AuditEntryError extends Error {
  override readonly name = 'AuditEntryError';
}

/**
 * Parses an entry's text and insists it is canonical: a non-canonical text would let two texts
 * mean one entry, so it is refused rather than re-encoded.
 */
export function parseAuditEntry(text: string): AuditLogEntry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AuditEntryError('not JSON');
  }
  const parsed = AuditLogEntry.safeParse(value);
  if (!parsed.success) throw new AuditEntryError(`not an audit entry: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(entry)'} ${i.message}`).join('; ')}`);
  if (canonicalJson(value) !== text) throw new AuditEntryError('not in RFC 8785 canonical form');
  return parsed.data;
}

export function auditLeafHash(text: string): Hash {
  return leafHash(encodeUtf8(text));
}

// ---- HTTP answers ---------------------------------------------------------------------------

export const CheckpointAnswer = z.object({ size: z.number().int().nonnegative(), checkpoint: z.string() });
export type CheckpointAnswer = z.infer<typeof CheckpointAnswer>;

export const EntriesAnswer = z.object({
  /** The tree size the listing was read against. */
  size: z.number().int().nonnegative(),
  entries: z.array(z.object({ index: z.number().int().nonnegative(), entry: z.string() })),
  /** Where to continue (absent when the listing is complete up to `size`). */
  next: z.number().int().nonnegative().optional(),
});
export type EntriesAnswer = z.infer<typeof EntriesAnswer>;

export const InclusionProofAnswer = z.object({
  index: z.number().int().nonnegative(),
  size: z.number().int().positive(),
  proof: z.array(z.string()),
});
export type InclusionProofAnswer = z.infer<typeof InclusionProofAnswer>;

export const ConsistencyProofAnswer = z.object({
  from: z.number().int().nonnegative(),
  to: z.number().int().nonnegative(),
  proof: z.array(z.string()),
});
export type ConsistencyProofAnswer = z.infer<typeof ConsistencyProofAnswer>;

/** The hashes of a proof answer; a hash that is not base64 fails as the proof it belongs to. */
export const decodeProof = (proof: readonly string[]): Hash[] =>
  proof.map((p, i) => {
    try {
      return decodeBase64(p);
    } catch {
      throw new ProofError(`proof[${i}] is not base64`);
    }
  });
export const encodeProof = (proof: readonly Hash[]): string[] => proof.map((p) => encodeBase64(p));

/**
 * The pinned checkpoint key, from a file's text: either a note verifier key
 * (`<name>+<id>+<base64>`) or a public Ed25519 JWK, whose key name is then the log's origin.
 */
export function parseCheckpointKey(text: string, origin: string): NoteVerifier {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return parseVerifierKey(trimmed);
  const jwk = JSON.parse(trimmed) as { kty?: string; crv?: string; x?: string; d?: string };
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.x) throw new AuditEntryError('the checkpoint key must be an Ed25519 public JWK or a note verifier key');
  try {
    return noteVerifierFromJwk(origin, jwk);
  } catch (error) {
    if (error instanceof CheckpointError) throw new AuditEntryError(`the checkpoint key: ${error.message}`);
    throw error;
  }
}
