import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { openTestDatabase } from '../../db/testing';
import { preparePart, seedApprovedInquiry } from '../../fanout/test-fixtures';
import { copyChunksIn, copyChunksOut, copyPool } from './chunk-copy';
import { openResultStream } from './read-result';

// Binary COPY is the PostgreSQL server's path (TEST_DATABASE_URL); PGlite takes drizzle's (read-result.test.ts).
describe.skipIf(!process.env.TEST_DATABASE_URL)('chunks as binary COPY on PostgreSQL', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await database?.close();
  });

  async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
    const out: Uint8Array[] = [];
    for await (const chunk of stream) out.push(chunk);
    return Buffer.concat(out);
  }

  it('stores and reads back every byte of every chunk, in seq order, nothing of another attempt', async () => {
    const pool = copyPool(database.db)!;
    expect(pool).not.toBeNull();
    const { inquiryId } = await seedApprovedInquiry(database.db);
    const part = await preparePart(database.db, inquiryId);
    // Sizes around a frame, an empty one, and bytes that look like COPY's own framing (a trailer, a row header).
    const chunks = [65_556, 0, 1, 65_536, 17, 300_000].map((n) => randomBytes(n));
    chunks.push(Buffer.from([0xff, 0xff, 0, 2, 0, 0, 0, 4]));
    const rows = chunks.map((data, seq) => ({ partId: part.id, warrantId: 'w-new', seq, data }));
    await copyChunksIn(pool, [rows[4]!, rows[0]!, rows[6]!]);
    await copyChunksIn(pool, [rows[1]!, rows[5]!, rows[2]!, rows[3]!, { partId: part.id, warrantId: 'w-old', seq: 0, data: randomBytes(10) }]);

    expect((await collect(copyChunksOut(pool, part.id, 'w-new'))).equals(Buffer.concat(chunks))).toBe(true);
    expect((await collect(openResultStream(database.db, part.id, 'w-new'))).equals(Buffer.concat(chunks))).toBe(true);
    expect((await collect(openResultStream(database.db, part.id, 'w-new', { batchSize: 2 }))).equals(Buffer.concat(chunks))).toBe(true);
    expect((await collect(copyChunksOut(pool, part.id, "w-new' OR true --"))).length).toBe(0);
  });

  it('refuses a result with a missing chunk, and a reader that stops early gives its connection back', async () => {
    const pool = copyPool(database.db)!;
    const { inquiryId } = await seedApprovedInquiry(database.db);
    const part = await preparePart(database.db, inquiryId);
    await copyChunksIn(pool, [0, 1, 3].map((seq) => ({ partId: part.id, warrantId: 'w', seq, data: randomBytes(70_000) })));
    await expect(collect(copyChunksOut(pool, part.id, 'w'))).rejects.toThrow(/missing chunk 2/);

    for (let i = 0; i < 12; i++) {
      // More early stops than the pool has connections: each must have been released.
      for await (const _ of copyChunksOut(pool, part.id, 'w')) break;
    }
    expect(pool.waitingCount).toBe(0);
    await expect(collect(copyChunksOut(pool, part.id, 'w'))).rejects.toThrow(/missing chunk 2/);
  });
});
