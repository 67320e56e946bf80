/**
 * Writes proto/vectors/audit-commitment-v1.json: `npx tsx proto/vectors/make-audit-commitment-vector.ts`.
 * HMAC is deterministic: the same fixed key and values always give the same file.
 */
import { writeFileSync } from 'node:fs';
import { commitmentKeyId, commitmentMessage, computeCommitment, decodeCommitmentKey, type CommitmentKind } from '../audit-commitment';

// A fixed, obviously-not-secret key: bytes 0x00 … 0x1f, as the key file holds it.
const keyFile = `${Buffer.from(Array.from({ length: 32 }, (_, i) => i)).toString('base64url')}\n`;
const key = decodeCommitmentKey(keyFile);
const values: [CommitmentKind, string][] = [
  ['subject', '150627196803120034'],
  ['subject', '91350100M000100Y43'],
  ['case', 'EJH-2024-0042'],
  ['case', '伊纪立〔2024〕42号'],
];

const vector = {
  description:
    'Audit commitments (docs/formats.md, "Commitments"). `keyFile` is the text of keys/audit-commitment.key; decoding it (base64url, no padding, whitespace around it ignored) gives `keyHex`; `keyId` = hex of the first 4 bytes of SHA-256(UTF-8 "qiao/audit-commitment-key" ‖ key). For each case, `messageHex` = UTF-8("qiao/audit-commitment/v1\\n" ‖ kind ‖ "\\n" ‖ value) and `commitment` = "hmac:" ‖ base64url(HMAC-SHA256(key, message)) without padding.',
  keyFile,
  keyHex: Buffer.from(key).toString('hex'),
  keyId: await commitmentKeyId(key),
  cases: await Promise.all(
    values.map(async ([kind, value]) => ({
      kind,
      value,
      messageHex: Buffer.from(commitmentMessage(kind, value)).toString('hex'),
      commitment: await computeCommitment(key, kind, value),
    })),
  ),
};
writeFileSync(new URL('./audit-commitment-v1.json', import.meta.url), `${JSON.stringify(vector, null, 2)}\n`);
console.log('wrote audit-commitment-v1.json');
