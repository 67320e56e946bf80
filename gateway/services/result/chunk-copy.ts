import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { DbOrTx } from '../../db/client';

/**
 * Ciphertext chunks in and out of PostgreSQL as binary COPY: the bytes go over the wire as they
 * are. node-postgres reads bytea in the text result format, as hex, and turning it back into
 * bytes was about 15 % of the gateway's download CPU (its binary result mode decodes every value
 * as UTF-8, so it cannot carry ciphertext). PGlite has no COPY from a client: there the callers
 * keep using drizzle.
 */

/** The pool behind a node-postgres database, or null (PGlite, or a transaction). */
export function copyPool(db: DbOrTx): pg.Pool | null {
  const client = (db as { $client?: unknown }).$client;
  return client instanceof pg.Pool ? client : null;
}

export interface ChunkRow {
  partId: string;
  warrantId: string;
  seq: number;
  data: Uint8Array;
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Signature, flags (none), header extension length (0). */
const HEADER = Buffer.concat([SIGNATURE, Buffer.alloc(8)]);
const TRAILER = Buffer.from([0xff, 0xff]);

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a uuid: ${uuid}`);
  return Buffer.from(hex, 'hex');
}

/** One binary COPY of result_chunks rows (part_id uuid, warrant_id text, seq int4, data bytea). */
export async function copyChunksIn(pool: pg.Pool, rows: readonly ChunkRow[]): Promise<void> {
  const pieces: Buffer[] = [HEADER];
  for (const row of rows) {
    const warrant = Buffer.from(row.warrantId, 'utf8');
    const head = Buffer.allocUnsafe(2 + 4 + 16 + 4 + warrant.length + 4 + 4 + 4);
    let at = head.writeInt16BE(4, 0);
    at = head.writeInt32BE(16, at);
    at += uuidBytes(row.partId).copy(head, at);
    at = head.writeInt32BE(warrant.length, at);
    at += warrant.copy(head, at);
    at = head.writeInt32BE(4, at);
    at = head.writeInt32BE(row.seq, at);
    head.writeInt32BE(row.data.byteLength, at);
    pieces.push(head, Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength));
  }
  pieces.push(TRAILER);
  const client = await pool.connect();
  try {
    const stream = client.query(copyFrom('COPY result_chunks (part_id, warrant_id, seq, data) FROM STDIN (FORMAT binary)'));
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.once('finish', resolve);
      stream.end(Buffer.concat(pieces));
    });
    client.release();
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
}

/**
 * The data of one part's chunks in seq order, from one binary COPY out, read as the consumer
 * reads: the COPY stream pauses the connection while the consumer (the HTTP response) is full, so
 * memory stays at a few chunks whatever the result's size. Throws on a gap in seq. Leaving early
 * drops the connection (the server stops the COPY) instead of reading the rest.
 */
export async function* copyChunksOut(pool: pg.Pool, partId: string, warrantId: string): AsyncGenerator<Uint8Array> {
  const client = await pool.connect();
  const sql = `COPY (SELECT seq, data FROM result_chunks WHERE part_id = ${client.escapeLiteral(partId)}::uuid AND warrant_id = ${client.escapeLiteral(warrantId)} ORDER BY seq) TO STDOUT (FORMAT binary)`;
  let ended = false;
  let failure: Error | undefined;
  try {
    const stream = client.query(copyTo(sql));
    const reader = new CopyOutReader();
    let next = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (const { seq, data } of reader.push(chunk)) {
        if (seq !== next) throw new Error(`result of part ${partId} is missing chunk ${next}`);
        next += 1;
        yield data;
      }
    }
    reader.end();
    ended = true;
  } catch (error) {
    failure = error as Error;
    throw error;
  } finally {
    client.release(ended ? undefined : (failure ?? new Error('download stopped before the end')));
  }
}

/** Parses a binary COPY of (seq int4, data bytea) rows as it arrives; a row inside one chunk is handed out without a copy. */
class CopyOutReader {
  private buffer: Buffer = Buffer.alloc(0);
  private headerRead = false;
  private done = false;

  push(chunk: Buffer): { seq: number; data: Buffer }[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const rows: { seq: number; data: Buffer }[] = [];
    let at = 0;
    const b = this.buffer;
    if (!this.headerRead) {
      if (b.length < 19) return rows;
      if (!b.subarray(0, 11).equals(SIGNATURE)) throw new Error('COPY out: not PostgreSQL binary COPY data');
      at = 19 + b.readInt32BE(15);
      this.headerRead = true;
    }
    for (;;) {
      if (this.done || b.length - at < 2) break;
      const fields = b.readInt16BE(at);
      if (fields === -1) {
        this.done = true;
        at += 2;
        break;
      }
      if (fields !== 2) throw new Error(`COPY out: a row of ${fields} fields, expected 2`);
      if (b.length - at < 2 + 4 + 4 + 4) break;
      const seq = b.readInt32BE(at + 6);
      const length = b.readInt32BE(at + 10);
      if (length < 0) throw new Error('COPY out: a chunk without data');
      if (b.length - at < 14 + length) break;
      rows.push({ seq, data: b.subarray(at + 14, at + 14 + length) });
      at += 14 + length;
    }
    // What is left is the start of the next row: copied, so the rows handed out do not pin it.
    this.buffer = at === b.length ? Buffer.alloc(0) : Buffer.from(b.subarray(at));
    return rows;
  }

  end(): void {
    if (!this.done || this.buffer.length > 0) throw new Error('COPY out: the data ended inside a row');
  }
}
