import { createHash, createHmac } from 'node:crypto';
import { COMMITMENT_PREFIX, commitmentMessage, MIN_COMMITMENT_KEY_BYTES, type CommitmentKind } from '../../../proto/audit-commitment';

export type { CommitmentKind };

/**
 * Keyed commitments: subject ids and case references enter the audit log only as
 * `hmac:` + base64url(HMAC-SHA256(key, "qiao/audit-commitment/v1\n" ‖ kind ‖ "\n" ‖ value)), never
 * in plaintext — the encoding is the contract's (proto/audit-commitment.ts, which an oversight
 * office runs on WebCrypto); computed here with node:crypto because the writer is synchronous.
 * Whoever holds the key can test whether a given person or case was ever queried; a reader of the
 * log cannot, not even by trying every resident id number (which a plain hash would allow: there
 * are only ~10^10 plausible ones).
 *
 * The key is a dependency like any other: `createAuditWriter` is called once where the gateway is
 * wired (server.ts, from `keys/audit-commitment.key`; tests with a key of their own) and travels
 * in the services context, so two gateways in one process never share it. Entries name the key by
 * id, so a rotation stays readable.
 */
export interface AuditWriter {
  /** Hex of the first 4 bytes of SHA-256("qiao/audit-commitment-key" ‖ key). */
  readonly keyId: string;
  /** The commitment that stands for `value` in the log. */
  commit(kind: CommitmentKind, value: string): string;
  /** Free text with every resident ID number and credit-code look-alike in it replaced by its commitment. */
  commitFreeText(text: string): string;
  /** Told the actions of the entries each append writes (metrics); the transaction may still roll back. */
  appended?(actions: readonly string[]): void;
}

const CREDIT_CODE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;
const RESIDENT_ID = /^\d{17}[\dX]$/;
const EMBEDDED_CODE = /(?<![0-9A-Z])[0-9A-Z]{18}(?![0-9A-Z])/g;

export function createAuditWriter(commitmentKey: Uint8Array): AuditWriter {
  if (commitmentKey.length < MIN_COMMITMENT_KEY_BYTES) throw new Error(`the audit commitment key must be at least ${MIN_COMMITMENT_KEY_BYTES} bytes, not ${commitmentKey.length}`);
  const key = Buffer.from(commitmentKey);
  const keyId = createHash('sha256').update('qiao/audit-commitment-key').update(key).digest('hex').slice(0, 8);
  const commit = (kind: CommitmentKind, value: string) => `${COMMITMENT_PREFIX}${createHmac('sha256', key).update(commitmentMessage(kind, value)).digest('base64url')}`;
  return {
    keyId,
    commit,
    // A reason or an echoed error may quote an id: an 18-character run with the shape of a
    // resident id number or of a credit code is replaced; numbers and words are left alone. The
    // shape, not validity: a mistyped or refused id (wrong check character, a birth date the
    // submission schema refuses) is still somebody's id, or close enough to find them.
    commitFreeText: (text) => text.replace(EMBEDDED_CODE, (code) => (RESIDENT_ID.test(code) || CREDIT_CODE.test(code) ? commit('subject', code) : code)),
  };
}
