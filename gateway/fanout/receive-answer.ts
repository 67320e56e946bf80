import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { inquiryParts, resultChunks } from '../db/schema';
import { DepartmentCallError, type ResultFrame } from '../departments/client';
import { auditAppendOf, type AuditEntry, type AuditWriter } from '../services/audit/append-audit';
import { copyChunksIn, copyPool } from '../services/result/chunk-copy';

const FLUSH_BYTES = 1024 * 1024;

/** Why one attempt did not produce a result. `reason` is stored; it must never carry subject ids or plaintext. */
export class AttemptFailure extends Error {
  constructor(
    readonly reason: string,
    readonly permanent = false,
  ) {
    super(reason);
  }
}

/** What a department sent in answer to a warrant, once received in full and its chunks stored. */
export interface Answer {
  format: string;
  records: number;
  bytes: number;
  sha256: string;
  chunks: number;
  /** The department's signed receipt, stored as received: the command line verifies it, not the gateway. */
  receipt: string | null;
  /**
   * The last chunks, not stored yet (less than about 1 MiB: all of a small answer): `recordAnswer`
   * writes them in its one statement, instead of a round trip and a commit of their own.
   */
  unstored: { seq: number; data: Uint8Array }[];
}

/**
 * Header, chunks (stored about 1 MiB at a time as they arrive), trailer; anything else is a failed
 * attempt. What is left after the last full flush is returned unstored (`Answer.unstored`).
 */
export async function receiveAnswer(
  db: Db,
  { part, warrantId, maxAnswerBytes }: { part: { id: string; department: string }; warrantId: string; maxAnswerBytes: number },
  frames: AsyncIterable<ResultFrame>,
): Promise<Answer> {
  let format = null as string | null;
  let trailer = null as { records: number; bytes: number; sha256: string; receipt?: string } | null;
  const digest = createHash('sha256');
  let bytes = 0;
  let seq = 0;
  // Chunks go to the database about 1 MiB at a time: one round trip per 64 KiB chunk made the
  // database the bottleneck, and 1 MiB is still a small, fixed amount of memory. On PostgreSQL as
  // one binary COPY (the bytes as they are), on PGlite as a multi-row insert.
  const pool = copyPool(db);
  let pending: (typeof resultChunks.$inferInsert)[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const rows = pending;
    pending = [];
    pendingBytes = 0;
    if (pool) await copyChunksIn(pool, rows);
    else await db.insert(resultChunks).values(rows);
  };
  try {
    for await (const frame of frames) await take(frame);
  } catch (err) {
    if (err instanceof DepartmentCallError) err.bytesReceived = bytes;
    throw err;
  }
  async function take(frame: ResultFrame) {
    if (trailer) throw new AttemptFailure('protocol: frame after the trailer');
    if (frame.frame === 'header') {
      if (format !== null) throw new AttemptFailure('protocol: second header');
      if (frame.header.warrantId !== warrantId) throw new AttemptFailure('protocol: header names another warrant');
      if (frame.header.department !== part.department) throw new AttemptFailure('protocol: header names another department');
      if (!frame.header.format) throw new AttemptFailure('protocol: header without format');
      format = frame.header.format;
    } else if (frame.frame === 'chunk') {
      if (format === null) throw new AttemptFailure('protocol: chunk before the header');
      bytes += frame.chunk.length;
      if (bytes > maxAnswerBytes) throw new AttemptFailure(`protocol: answer larger than ${maxAnswerBytes} bytes`, true);
      digest.update(frame.chunk);
      pending.push({ partId: part.id, warrantId, seq, data: frame.chunk });
      pendingBytes += frame.chunk.length;
      seq += 1;
      if (pendingBytes >= FLUSH_BYTES) await flush();
    } else if (frame.frame === 'trailer') {
      if (format === null) throw new AttemptFailure('protocol: trailer before the header');
      trailer = frame.trailer;
    }
  }
  if (format === null) throw new AttemptFailure('protocol: empty answer');
  if (!trailer) throw new AttemptFailure('protocol: answer ended without a trailer');
  const sha256 = digest.digest('hex');
  if (trailer.bytes !== bytes) throw new AttemptFailure(`integrity: trailer says ${trailer.bytes} bytes, ${bytes} arrived`);
  if (trailer.sha256.toLowerCase() !== sha256) throw new AttemptFailure('integrity: trailer sha256 does not match the chunks received');
  if (!Number.isSafeInteger(trailer.records) || trailer.records < 0) throw new AttemptFailure('protocol: bad record count');
  if (trailer.receipt && trailer.receipt.length > 16 * 1024) throw new AttemptFailure('protocol: receipt larger than 16 KiB');
  const unstored = pending.map(({ seq, data }) => ({ seq, data }));
  return { format, records: trailer.records, bytes, sha256, chunks: seq, receipt: trailer.receipt || null, unstored };
}

/** The part as the worker holds it: which part, and the attempt its lease is for. */
export interface LeasedPart {
  id: string;
  inquiryId: string;
  department: string;
  /** The fencing number of the lease (claim.ts). */
  attempts: number;
}

/** The worker no longer holds the part: another worker took it over. Nothing of this attempt may be applied. */
export class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
}

/** This worker still holds this attempt of the part. */
export function leaseHeld(workerId: string, part: Pick<LeasedPart, 'id' | 'attempts'>) {
  return and(eq(inquiryParts.id, part.id), eq(inquiryParts.status, 'running'), eq(inquiryParts.leaseOwner, workerId), eq(inquiryParts.attempts, part.attempts));
}

/** A received answer to record: the part as leased, the warrant it answers, when it completed. */
export interface AnsweredPart {
  part: LeasedPart;
  workerId: string;
  warrantId: string;
  answer: Answer;
  completedAt: Date;
}

/**
 * The one write of a received answer — the part succeeded, its result row, the chunks not stored
 * yet, the chunks of earlier attempts dropped, and its `department.answered` entry — as ONE
 * statement committed on its own (one round trip, no BEGIN and COMMIT around it): each part of
 * it conditioned on the fenced part update, the entry appended only when that update took the
 * row. Nothing is written, and false returned, when the worker no longer holds this attempt of
 * the part; a statement that fails writes nothing at all.
 */
export async function recordAnswer(db: Db, audit: AuditWriter, input: AnsweredPart): Promise<boolean> {
  const { part, warrantId, answer } = input;
  const completedAt = input.completedAt.toISOString();
  const entry = auditAppendOf([answeredEntry(input)], audit, input.completedAt);
  // Chunk bytes as hex text: one array parameter both drivers (node-postgres, PGlite) send alike.
  const [written] = await entry.execute<{ n: number }>(
    db,
    sql`
      WITH done AS (
        UPDATE inquiry_parts
        SET status = 'succeeded', completed_at = ${completedAt}::timestamptz, updated_at = ${completedAt}::timestamptz,
            lease_owner = NULL, lease_expires_at = NULL, failure_reason = NULL
        WHERE id = ${part.id}::uuid AND status = 'running' AND lease_owner = ${input.workerId}
          AND attempts = ${part.attempts}::integer AND warrant_id = ${warrantId}
        RETURNING id
      ), result AS (
        INSERT INTO results (part_id, inquiry_id, department, warrant_id, format, records, bytes, sha256, chunks, receipt)
        SELECT id, ${part.inquiryId}::uuid, ${part.department}, ${warrantId}, ${answer.format}, ${answer.records}::integer,
               ${answer.bytes}::bigint, ${answer.sha256}, ${answer.chunks}::integer, ${answer.receipt}::text
        FROM done
        RETURNING 1
      ), stored AS (
        INSERT INTO result_chunks (part_id, warrant_id, seq, data)
        SELECT done.id, ${warrantId}, c.seq, decode(c.data, 'hex')
        FROM done, unnest(${sql.param(answer.unstored.map((c) => c.seq))}::integer[],
                          ${sql.param(answer.unstored.map((c) => Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength).toString('hex')))}::text[]) AS c(seq, data)
        RETURNING 1
      ), stale AS (
        DELETE FROM result_chunks WHERE part_id = ${part.id}::uuid AND warrant_id <> ${warrantId} AND EXISTS (SELECT 1 FROM done)
        RETURNING 1
      )
      -- The writes are read (to their end) before the append: the audit log's lock is taken last,
      -- held for the append and the commit only, not while the chunks go in.
      SELECT n, CASE WHEN n > 0 AND (SELECT count(*) FROM result) + (SELECT count(*) FROM stored) + (SELECT count(*) FROM stale) >= 0
        THEN ${entry.call} END AS first
      FROM (SELECT count(*)::integer AS n FROM done) AS held`,
  );
  return written?.n === 1;
}

function answeredEntry({ part, warrantId, answer }: AnsweredPart): AuditEntry {
  return {
    action: 'department.answered',
    inquiryId: part.inquiryId,
    details: {
      department: part.department,
      partId: part.id,
      warrantId,
      attempt: part.attempts,
      format: answer.format,
      records: answer.records,
      bytes: answer.bytes,
      sha256: answer.sha256,
      chunks: answer.chunks,
      receiptSha256: answer.receipt ? createHash('sha256').update(answer.receipt).digest('hex') : null,
    },
  };
}
