import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeCommitment, decodeCommitmentKey, type CommitmentKind } from '../../../proto/audit-commitment';
import { createAuditWriter } from './commitments';

const vector = JSON.parse(readFileSync(new URL('../../../proto/vectors/audit-commitment-v1.json', import.meta.url), 'utf8')) as {
  keyFile: string;
  keyId: string;
  cases: { kind: CommitmentKind; value: string; commitment: string }[];
};

describe('the gateway’s commitments (node:crypto) against the contract’s vector', () => {
  const writer = createAuditWriter(decodeCommitmentKey(vector.keyFile));

  it('commits to each value and names the key as the vector says', () => {
    expect(writer.keyId).toBe(vector.keyId);
    for (const c of vector.cases) expect(writer.commit(c.kind, c.value), `${c.kind} ${c.value}`).toBe(c.commitment);
  });

  it('replaces ids quoted in free text, and leaves dates, unit codes and other words alone', async () => {
    const text = `asked about 150627196803120034 and 91350100M000100Y43 on 2024-05-06, unit 150627`;
    const subject = vector.cases.find((c) => c.value === '150627196803120034')!;
    const organisation = vector.cases.find((c) => c.value === '91350100M000100Y43')!;
    expect(writer.commitFreeText(text)).toBe(`asked about ${subject.commitment} and ${organisation.commitment} on 2024-05-06, unit 150627`);
    expect(await computeCommitment(decodeCommitmentKey(vector.keyFile), 'subject', '150627196803120034')).toBe(writer.commit('subject', '150627196803120034'));
  });

  it('replaces ids that are refused as subjects too: a wrong check character, a birth date in the future', () => {
    for (const id of ['150627196803120035', '15062720991231003X']) {
      expect(writer.commitFreeText(`subject ${id} refused`)).toBe(`subject ${writer.commit('subject', id)} refused`);
    }
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => createAuditWriter(new Uint8Array(16))).toThrow('the audit commitment key must be at least 32 bytes, not 16');
  });
});
