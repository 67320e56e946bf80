import { describe, expect, it } from 'vitest';
import { projectedBatches, projectedHere, type NdjsonBatch } from '../../kit/project';
import { Refusal } from '../../kit/refusal';
import { withSourceThreads } from '../../kit/source-threads';
import type { WarrantClaims } from '../../../proto/warrant';
import { createDemoSource } from '../demo-source';
import { LI, MUHUDUNBAO_COOPERATIVE } from '../demo-world/world';
import { BANK_CATEGORIES } from './source';

const DEMO_SOURCE = new URL('../demo-source.ts', import.meta.url).href;
const options = { department: 'bank', volume: 30_000 };
const claims = {
  subjects: [{ kind: 'organisation', id: MUHUDUNBAO_COOPERATIVE }, { kind: 'person', id: LI.id }],
  categories: { bank_accounts: [...BANK_CATEGORIES.bank_accounts], bank_transactions: [...BANK_CATEGORIES.bank_transactions] },
} as unknown as WarrantClaims;

async function drain(batches: AsyncIterable<NdjsonBatch>) {
  const pieces: Buffer[] = [];
  let records = 0;
  let asBytes = 0;
  for await (const batch of batches) {
    if ('bytes' in batch) asBytes += 1;
    pieces.push('bytes' in batch ? Buffer.from(batch.bytes) : Buffer.from(batch.text, 'utf8'));
    records += batch.records;
  }
  return { ndjson: Buffer.concat(pieces).toString('utf8'), records, asBytes: asBytes > 0 };
}

describe('the bank source on a worker thread', () => {
  it('answers with the same NDJSON as on the adapter’s thread, as UTF-8 pieces; a second answer reuses the thread', async () => {
    const source = withSourceThreads(createDemoSource(options), { threads: 1, module: DEMO_SOURCE, exportName: 'createDemoSource', options });
    const here = await drain(projectedHere(claims, createDemoSource(options)));
    const first = source.projectedElsewhere!(claims)!;
    // While the only thread is busy, an answer is made here (null: no thread free).
    expect(source.projectedElsewhere!(claims)).toBeNull();
    expect(here.asBytes).toBe(false);
    expect(await drain(first)).toEqual({ ...here, asBytes: true });
    expect(here.records).toBeGreaterThan(30_000);
    expect(await drain(projectedBatches(claims, source))).toEqual({ ...here, asBytes: true });
  });

  it('an answer left early gives its thread up for a fresh one', async () => {
    const source = withSourceThreads(createDemoSource(options), { threads: 1, module: DEMO_SOURCE, exportName: 'createDemoSource', options });
    const it = source.projectedElsewhere!(claims)![Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await it.return?.(undefined);
    expect((await drain(source.projectedElsewhere!(claims)!)).records).toBe((await drain(projectedHere(claims, createDemoSource(options)))).records);
  });

  it('a thread that cannot build the source fails the answer as source_failed', async () => {
    const source = withSourceThreads(createDemoSource(options), { threads: 1, module: DEMO_SOURCE, exportName: 'noSuchFactory', options });
    const answer = source.projectedElsewhere!(claims);
    // The thread may already have failed and been dropped (then the answer is made here), or fail mid-answer.
    if (answer) await expect(drain(answer)).rejects.toSatisfy((e) => e instanceof Refusal && e.code === 'source_failed');
    else expect((await drain(projectedBatches(claims, source))).records).toBeGreaterThan(30_000);
  });

  it('a thread that fails while idle is reported, and answers go on without it', async () => {
    const problems: string[] = [];
    const source = withSourceThreads(createDemoSource(options), { threads: 1, module: DEMO_SOURCE, exportName: 'noSuchFactory', options, onThreadFailed: (p) => problems.push(p) });
    await expect.poll(() => problems.length, { timeout: 30_000 }).toBe(1);
    expect(problems[0]).toMatch(/^a source thread (failed|exited).*; 0 of 1 source thread\(s\) left, answers without one are made on the main thread$/);
    expect(source.projectedElsewhere!(claims)).toBeNull();
    expect((await drain(projectedBatches(claims, source))).records).toBeGreaterThan(30_000);
  });
});
