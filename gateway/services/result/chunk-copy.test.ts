import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { openTestDatabase } from '../../db/testing';
import { preparePart, seedApprovedInquiry } from '../../fanout/test-fixtures';
import { copyChunksIn, copyChunksOut, copyPool, CopyOutReader } from './chunk-copy';
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

describe('CopyOutReader', () => {
  /** What COPY (SELECT seq, data …) TO STDOUT (FORMAT binary) sends for these rows. */
  function copyOut(rows: [number, Uint8Array][]): Buffer {
    const pieces: Uint8Array[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)];
    for (const [seq, data] of rows) {
      const head = Buffer.alloc(14);
      head.writeInt16BE(2, 0);
      head.writeInt32BE(4, 2);
      head.writeInt32BE(seq, 6);
      head.writeInt32BE(data.length, 10);
      pieces.push(head, data);
    }
    pieces.push(Buffer.from([0xff, 0xff]));
    return Buffer.concat(pieces);
  }

  it('hands out every data byte in order however the stream is cut, and sees each seq', () => {
    const data = [randomBytes(1000), Buffer.alloc(0), Buffer.from([0xff, 0xff, 0, 2]), randomBytes(70_000)];
    const wire = copyOut(data.map((d, i) => [i, d]));
    for (const cut of [1, 2, 13, 14, 15, 4096, wire.length]) {
      const seqs: number[] = [];
      const reader = new CopyOutReader((seq) => seqs.push(seq));
      const out: Buffer[] = [];
      for (let at = 0; at < wire.length; at += cut) out.push(...reader.push(wire.subarray(at, at + cut)));
      reader.end();
      expect(Buffer.concat(out).equals(Buffer.concat(data))).toBe(true);
      expect(seqs).toEqual([0, 1, 2, 3]);
    }
  });

  it('refuses a stream cut short, data after the trailer and what is not binary COPY', () => {
    const wire = copyOut([[0, randomBytes(100)]]);
    const short = new CopyOutReader(() => {});
    short.push(wire.subarray(0, wire.length - 10));
    expect(() => short.end()).toThrow(/ended inside a row/);
    expect(() => new CopyOutReader(() => {}).push(Buffer.concat([wire, Buffer.from([0])]))).toThrow(/after the trailer/);
    expect(() => new CopyOutReader(() => {}).push(Buffer.from('COPY 1\nsomething else'))).toThrow(/not PostgreSQL binary COPY/);
  });
});
