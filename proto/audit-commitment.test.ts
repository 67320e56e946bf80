import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commitmentKeyId, commitmentMessage, computeCommitment, decodeCommitmentKey, matchesCommitment, type CommitmentKind } from './audit-commitment';
import { COMMITMENT } from './audit-entry';

const vector = JSON.parse(readFileSync(new URL('./vectors/audit-commitment-v1.json', import.meta.url), 'utf8')) as {
  keyFile: string;
  keyHex: string;
  keyId: string;
  cases: { kind: CommitmentKind; value: string; messageHex: string; commitment: string }[];
};
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('audit commitments (proto/vectors/audit-commitment-v1.json)', () => {
  const key = decodeCommitmentKey(vector.keyFile);

  it('decodes the key file and derives its key id', async () => {
    expect(hex(key)).toBe(vector.keyHex);
    expect(await commitmentKeyId(key)).toBe(vector.keyId);
  });

  it.each(vector.cases.map((c) => [`${c.kind} ${c.value}`, c] as const))('commits to %s', async (_, c) => {
    expect(hex(commitmentMessage(c.kind, c.value))).toBe(c.messageHex);
    const commitment = await computeCommitment(key, c.kind, c.value);
    expect(commitment).toBe(c.commitment);
    expect(commitment).toMatch(COMMITMENT);
    expect(await matchesCommitment(key, c.kind, c.value, c.commitment)).toBe(true);
  });

  it('tells a subject from a case, and one key from another', async () => {
    const [subject] = vector.cases;
    expect(await matchesCommitment(key, 'case', subject!.value, subject!.commitment)).toBe(false);
    const otherKey = decodeCommitmentKey(Buffer.alloc(32, 7).toString('base64url'));
    expect(await matchesCommitment(otherKey, subject!.kind, subject!.value, subject!.commitment)).toBe(false);
  });

  it('refuses a key file that is not base64url without padding, or too short', () => {
    expect(() => decodeCommitmentKey(`${vector.keyFile.trim()}=`)).toThrow(/base64url without padding/);
    expect(() => decodeCommitmentKey(Buffer.alloc(32, 1).toString('base64'))).toThrow(/base64url without padding/);
    expect(() => decodeCommitmentKey('abc def')).toThrow(/base64url without padding/);
    expect(() => decodeCommitmentKey(Buffer.alloc(31, 1).toString('base64url'))).toThrow('at least 32 bytes, not 31');
  });
});
