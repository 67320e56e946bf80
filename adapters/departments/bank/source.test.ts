import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SourceRecord } from '../../kit/data-source';
import { LI, MUHUDUNBAO_COOPERATIVE } from '../demo-world/world';
import { createBankSource, isoTimestamps } from './source';

async function digestOf(kind: 'person' | 'organisation', id: string, volume: number) {
  const found = createBankSource({ volume: { [MUHUDUNBAO_COOPERATIVE]: volume } }).lookup('bank_transactions', { kind, id });
  const hash = createHash('sha256');
  let records = 0;
  for await (const batch of found as AsyncIterable<readonly SourceRecord[]>) {
    for (const record of batch) hash.update(`${JSON.stringify(record)}\n`);
    records += batch.length;
  }
  return { records, sha256: hash.digest('hex') };
}

describe('bank source', () => {
  it('generates the same transactions as it always has (digests pinned before the generator was made faster)', async () => {
    expect(await digestOf('organisation', MUHUDUNBAO_COOPERATIVE, 20_000)).toEqual({
      records: 20_000,
      sha256: '4e7fc349a448e3598cd92be383c5b0f0379f3affa2648369e7c68d1b8c12976b',
    });
    // Li's accounts, with his June grassland subsidy.
    expect(await digestOf('person', LI.id, 20_000)).toEqual({ records: 805, sha256: '63a2c58d83d5058fbffa030a12975b757249f499e856f47af1e989ee248f6ba4' });
  });

  it('writes timestamps exactly as Date#toISOString does', () => {
    const iso = isoTimestamps();
    const times = [0, 1, 999, 86_399_999, 86_400_000, Date.UTC(2017, 0, 1), Date.UTC(2020, 1, 29, 23, 59, 59, 7), Date.UTC(2099, 11, 31, 23, 59, 59, 999)];
    for (let t = Date.UTC(2017, 0, 1), i = 0; i < 5000; i++) times.push((t += (i * 7_919_113) % 90_000_000));
    for (const t of times) expect(iso(t)).toBe(new Date(t).toISOString());
  });
});
