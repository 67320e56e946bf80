import { base64url } from 'jose';

/**
 * Keyed commitments, the audit log's way of naming a subject or a case without writing it: the
 * encoding, on WebCrypto, so that whoever holds the commitment key (the oversight office) can test
 * "was this person ever queried?" against a log without any gateway code. The gateway computes
 * the same values with node:crypto (gateway/services/audit/commitments.ts); the vector
 * proto/vectors/audit-commitment-v1.json and its tests hold both to this definition:
 *
 *   message    = UTF-8("qiao/audit-commitment/v1\n" ‖ kind ‖ "\n" ‖ value)     kind: subject | case
 *   commitment = "hmac:" ‖ base64url(HMAC-SHA256(key, message))             (no padding: 43 chars)
 *   key id     = lowercase hex of the first 4 bytes of SHA-256(UTF-8("qiao/audit-commitment-key") ‖ key)
 *
 * The key file (`keys/audit-commitment.key`) holds the key as base64url without padding (RFC 4648
 * §5), on one line; whitespace around it is ignored. At least 32 bytes.
 */

export type CommitmentKind = 'subject' | 'case';

export const COMMITMENT_PREFIX = 'hmac:';
export const MIN_COMMITMENT_KEY_BYTES = 32;

export class CommitmentKeyError extends Error {
  override readonly name = 'CommitmentKeyError';
}

const utf8 = new TextEncoder();

/** The exact bytes that are HMACed for one value. */
export function commitmentMessage(kind: CommitmentKind, value: string): Uint8Array {
  return utf8.encode(`qiao/audit-commitment/v1\n${kind}\n${value}`);
}

/** Decodes the text of a commitment key file; throws saying what is wrong with it. */
export function decodeCommitmentKey(text: string): Uint8Array {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9_-]+$/.test(trimmed) || trimmed.length % 4 === 1) {
    throw new CommitmentKeyError('the commitment key must be base64url without padding (A–Z a–z 0–9 - _), on one line');
  }
  const key = base64url.decode(trimmed);
  if (key.length < MIN_COMMITMENT_KEY_BYTES) throw new CommitmentKeyError(`the commitment key must be at least ${MIN_COMMITMENT_KEY_BYTES} bytes, not ${key.length}`);
  return key;
}

/** The id an entry names the key by (`details.commitments.key` of `inquiry.submitted`, `keys.changed`). */
export async function commitmentKeyId(key: Uint8Array): Promise<string> {
  const label = utf8.encode('qiao/audit-commitment-key');
  const input = new Uint8Array(label.length + key.length);
  input.set(label);
  input.set(key, label.length);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', input));
  return [...digest.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** `hmac:` + base64url(HMAC-SHA256(key, message)): the text that stands for `value` in the log. */
export async function computeCommitment(key: Uint8Array, kind: CommitmentKind, value: string): Promise<string> {
  const hmacKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, commitmentMessage(kind, value)));
  return `${COMMITMENT_PREFIX}${base64url.encode(mac)}`;
}

/**
 * Whether `value` (a subject id, a case reference) is what `commitment` stands for. Compared in
 * full; a commitment is not secret, so no constant-time comparison is needed.
 */
export async function matchesCommitment(key: Uint8Array, kind: CommitmentKind, value: string, commitment: string): Promise<boolean> {
  return (await computeCommitment(key, kind, value)) === commitment;
}
