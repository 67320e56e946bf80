import { createHash, createHmac, randomBytes } from 'node:crypto';
import { residentIdProblem } from '../../../proto/subjects';

/**
 * Keyed commitments: subject ids and case references enter the audit log only as
 * HMAC-SHA256(key, "qiao/audit-commitment/v1" ‖ kind ‖ value), never in plaintext. Whoever holds
 * the key (the oversight office) can test whether a given person or case was ever queried; a
 * reader of the log cannot, not even by trying every resident id number (which a plain hash
 * would allow: there are only ~10^10 plausible ones).
 *
 * The key is process-wide, set once at start (`configureAuditCommitments`, from
 * `keys/audit-commitment.key` of the PKI folder): `appendAudit` keeps its two-argument
 * signature so its callers need not carry the key. A process that never configures it (tests,
 * scripts) uses a random key of its own — its commitments hide the plaintext just as well, but
 * nobody can check them afterwards. The entry names the key by id so a rotation stays readable.
 */
let key: Buffer = randomBytes(32);
let keyId = idOf(key);

function idOf(k: Uint8Array): string {
  return createHash('sha256').update('qiao/audit-commitment-key').update(k).digest('hex').slice(0, 8);
}

export function configureAuditCommitments(commitmentKey: Uint8Array): void {
  if (commitmentKey.length < 32) throw new Error('the audit commitment key must be at least 32 bytes');
  key = Buffer.from(commitmentKey);
  keyId = idOf(key);
}

export function commitmentKeyId(): string {
  return keyId;
}

export type CommitmentKind = 'subject' | 'case';

/** base64url(HMAC-SHA256) of one value; `kind` keeps a case reference from matching a subject id. */
export function commit(kind: CommitmentKind, value: string, withKey: Uint8Array = key): string {
  return createHmac('sha256', withKey).update(`qiao/audit-commitment/v1\n${kind}\n${value}`).digest('base64url');
}

/** Details members whose values are subject ids or case references wherever a caller puts them. */
const SUBJECT_KEYS = /^(subjects?|subjectIds?|idNumbers?|residentIds?|creditCodes?)$/i;
const CASE_KEYS = /^(caseReferences?|caseRefs?)$/i;
const CREDIT_CODE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;
const EMBEDDED_CODE = /(?<![0-9A-Z])[0-9A-Z]{18}(?![0-9A-Z])/g;

/**
 * Replaces, anywhere in `details`, what must not be written in plaintext: values under subject
 * or case-reference member names, and, inside any string, each valid resident id number or
 * unified-social-credit-code look-alike. Numbers (e.g. a count of subjects) are left alone.
 */
export function commitSensitive(details: Record<string, unknown>): Record<string, unknown> {
  return walk(details, null) as Record<string, unknown>;
}

function walk(value: unknown, kind: CommitmentKind | null): unknown {
  if (typeof value === 'string') {
    if (kind) return `hmac:${commit(kind, value)}`;
    // Free text (a reason, an echoed error) may quote an id: each one inside it is replaced too.
    return value.replace(EMBEDDED_CODE, (code) => (residentIdProblem(code) === null || CREDIT_CODE.test(code) ? `hmac:${commit('subject', code)}` : code));
  }
  if (Array.isArray(value)) return value.map((v) => walk(v, kind));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const record = value as Record<string, unknown>;
    // A subject object ({kind, id, name?}) becomes the commitment to its id: nothing else of it is kept.
    if (kind === 'subject' && typeof record.id === 'string') return `hmac:${commit('subject', record.id)}`;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) {
      out[k] = walk(v, SUBJECT_KEYS.test(k) ? 'subject' : CASE_KEYS.test(k) ? 'case' : kind);
    }
    return out;
  }
  return value;
}
