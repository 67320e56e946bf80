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
 * memory stays at a few chunks whatever the result's size. The bytes come in pieces as the
 * connection delivers them — a piece may hold part of a chunk, never more than one — with no
 * copy. Throws on a gap in seq. Leaving early drops the connection (the server stops the COPY)
 * instead of reading the rest.
 */
export async function* copyChunksOut(pool: pg.Pool, partId: string, warrantId: string): AsyncGenerator<Uint8Array> {
  const client = await pool.connect();
  const sql = `COPY (SELECT seq, data FROM result_chunks WHERE part_id = ${client.escapeLiteral(partId)}::uuid AND warrant_id = ${client.escapeLiteral(warrantId)} ORDER BY seq) TO STDOUT (FORMAT binary)`;
  let ended = false;
  let failure: Error | undefined;
  try {
    const reader = new CopyOutReader((seq) => {
      if (seq !== reader.rows) throw new Error(`result of part ${partId} is missing chunk ${reader.rows}`);
    });
    for await (const chunk of client.query(copyTo(sql)) as AsyncIterable<Buffer>) yield* reader.push(chunk);
    reader.end();
    ended = true;
  } catch (error) {
    failure = error as Error;
    throw error;
  } finally {
    client.release(ended ? undefined : (failure ?? new Error('download stopped before the end')));
  }
}

/** Header: signature, flags, extension length. Row: field count, length and value of seq, length of data. */
const HEADER_BYTES = 19;
const ROW_HEAD_BYTES = 2 + 4 + 4 + 4;

/**
 * Parses a binary COPY of (seq int4, data bytea) rows as it arrives and hands out the data's
 * bytes as subarrays of what arrived: only the few bytes of a header or row head that straddle
 * two pieces are ever copied. `onRow` sees each row's seq before any of its data is handed out.
 */
export class CopyOutReader {
  /** Bytes of a header or row head not yet complete. */
  private head: Buffer = Buffer.alloc(0);
  private headerRead = false;
  /** Data bytes of the current row still to come. */
  private remaining = 0;
  private done = false;
  rows = 0;

  constructor(private readonly onRow: (seq: number) => void) {}

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        out.push(chunk.subarray(at, at + take));
        this.remaining -= take;
        at += take;
        continue;
      }
      if (this.done) throw new Error('COPY out: data after the trailer');
      // Gather a header or row head, which may straddle pieces; a row head's first 2 bytes come
      // first, as they may be the trailer (-1), which is all there is to it.
      const need = !this.headerRead ? HEADER_BYTES : this.head.length < 2 ? 2 : ROW_HEAD_BYTES;
      const take = Math.min(need - this.head.length, chunk.length - at);
      this.head = Buffer.concat([this.head, chunk.subarray(at, at + take)]);
      at += take;
      if (this.head.length >= 2 && this.headerRead && this.head.readInt16BE(0) === -1) {
        this.done = true;
        this.head = Buffer.alloc(0);
        continue;
      }
      if (this.head.length < (this.headerRead ? ROW_HEAD_BYTES : HEADER_BYTES)) continue;
      if (!this.headerRead) {
        if (!this.head.subarray(0, 11).equals(SIGNATURE)) throw new Error('COPY out: not PostgreSQL binary COPY data');
        if (this.head.readInt32BE(15) !== 0) throw new Error('COPY out: a header extension this reader does not know');
        this.headerRead = true;
      } else {
        const fields = this.head.readInt16BE(0);
        if (fields !== 2) throw new Error(`COPY out: a row of ${fields} fields, expected 2`);
        const length = this.head.readInt32BE(10);
        if (this.head.readInt32BE(2) !== 4 || length < 0) throw new Error('COPY out: a row that is not (seq, data)');
        this.onRow(this.head.readInt32BE(6));
        this.rows += 1;
        this.remaining = length;
      }
      this.head = Buffer.alloc(0);
    }
    return out;
  }

  end(): void {
    if (!this.done) throw new Error('COPY out: the data ended inside a row');
  }
}
