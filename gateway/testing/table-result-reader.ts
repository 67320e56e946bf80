import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '../db/client';
import { resultChunks } from '../db/schema';
import type { ResultReader } from '../services/context';

/**
 * A result reader over result_chunks, a few rows at a time, for tests that insert chunks
 * themselves. (The production reader belongs to gateway/services/result/.)
 */
export function createTableResultReader(db: Db, batchSize = 4): ResultReader {
  return {
    async *openResultStream(partId, warrantId) {
      let after = -1;
      for (;;) {
        const rows = await db
          .select({ seq: resultChunks.seq, data: resultChunks.data })
          .from(resultChunks)
          .where(and(eq(resultChunks.partId, partId), eq(resultChunks.warrantId, warrantId), gt(resultChunks.seq, after)))
          .orderBy(asc(resultChunks.seq))
          .limit(batchSize);
        for (const row of rows) yield row.data;
        if (rows.length < batchSize) return;
        after = rows[rows.length - 1]!.seq;
      }
    },
  };
}
