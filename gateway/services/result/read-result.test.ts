import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { resultChunks } from '../../db/schema';
import { openTestDatabase } from '../../db/testing';
import { preparePart, seedApprovedInquiry } from '../../fanout/test-fixtures';
import { openResultStream } from './read-result';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const chunk of stream) out.push(chunk);
  return out;
}

describe('openResultStream', () => {
  it('yields the chunks of one warrant in seq order, across batches, and nothing of other attempts', async () => {
    const { db } = database;
    const { inquiryId } = await seedApprovedInquiry(db);
    const part = await preparePart(db, inquiryId);
    const chunks = Array.from({ length: 7 }, (_, i) => randomBytes(100 + i));
    // Inserted out of order, with an older attempt's chunks next to them.
    for (const seq of [3, 0, 6, 1, 5, 2, 4]) {
      await db.insert(resultChunks).values({ partId: part.id, warrantId: 'w-new', seq, data: chunks[seq]! });
    }
    await db.insert(resultChunks).values({ partId: part.id, warrantId: 'w-old', seq: 0, data: randomBytes(10) });

    const got = await collect(openResultStream(db, part.id, 'w-new', { batchSize: 3 }));

    expect(got.map((c) => Buffer.from(c).toString('hex'))).toEqual(chunks.map((c) => c.toString('hex')));
    const digest = createHash('sha256');
    for (const c of got) digest.update(c);
    expect(digest.digest('hex')).toBe(createHash('sha256').update(Buffer.concat(chunks)).digest('hex'));
  });

  it('yields nothing for an unknown warrant', async () => {
    const { db } = database;
    const { inquiryId } = await seedApprovedInquiry(db);
    const part = await preparePart(db, inquiryId);
    expect(await collect(openResultStream(db, part.id, 'nope'))).toEqual([]);
  });

  it('refuses a result with a missing chunk', async () => {
    const { db } = database;
    const { inquiryId } = await seedApprovedInquiry(db);
    const part = await preparePart(db, inquiryId);
    for (const seq of [0, 1, 3]) {
      await db.insert(resultChunks).values({ partId: part.id, warrantId: 'w', seq, data: randomBytes(8) });
    }
    await expect(collect(openResultStream(db, part.id, 'w', { batchSize: 2 }))).rejects.toThrow(/missing chunk 2/);
  });
});
