import { and, asc, eq, gte } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { resultChunks } from '../../db/schema';
import { copyChunksOut, copyPool } from './chunk-copy';

export interface OpenResultStreamOptions {
  /** Chunks fetched per query (and drizzle's SELECT even on PostgreSQL): memory stays at about batchSize × 64 KiB whatever the result's size. */
  batchSize?: number;
}

/**
 * The stored ciphertext of one part's answer, chunk by chunk in arrival order, never the whole
 * result at once. On PostgreSQL one binary COPY out, read as the consumer reads (chunk-copy.ts);
 * on PGlite in bounded batches (keyset pagination on seq). Throws if a chunk is missing: a result
 * with a gap must not be served as if it were whole.
 */
export async function* openResultStream(
  db: DbOrTx,
  partId: string,
  warrantId: string,
  options: OpenResultStreamOptions = {},
): AsyncIterable<Uint8Array> {
  const pool = copyPool(db);
  if (pool && options.batchSize === undefined) {
    yield* copyChunksOut(pool, partId, warrantId);
    return;
  }
  const batchSize = options.batchSize ?? 16;
  let next = 0;
  for (;;) {
    const rows = await db
      .select({ seq: resultChunks.seq, data: resultChunks.data })
      .from(resultChunks)
      .where(and(eq(resultChunks.partId, partId), eq(resultChunks.warrantId, warrantId), gte(resultChunks.seq, next)))
      .orderBy(asc(resultChunks.seq))
      .limit(batchSize);
    for (const row of rows) {
      if (row.seq !== next) throw new Error(`result of part ${partId} is missing chunk ${next}`);
      next += 1;
      yield row.data;
    }
    if (rows.length < batchSize) return;
  }
}
