import { createHash } from 'node:crypto';
import { and, eq, ne } from 'drizzle-orm';
import type { Db } from '../db/client';
import { inquiryParts, resultChunks, results } from '../db/schema';
import { DepartmentCallError, type ResultFrame } from '../departments/client';
import { appendAudit, type AuditWriter } from '../services/audit/append-audit';
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
}

/** Header, chunks (stored one by one as they arrive), trailer; anything else is a failed attempt. */
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
  await flush();
  if (format === null) throw new AttemptFailure('protocol: empty answer');
  if (!trailer) throw new AttemptFailure('protocol: answer ended without a trailer');
  const sha256 = digest.digest('hex');
  if (trailer.bytes !== bytes) throw new AttemptFailure(`integrity: trailer says ${trailer.bytes} bytes, ${bytes} arrived`);
  if (trailer.sha256.toLowerCase() !== sha256) throw new AttemptFailure('integrity: trailer sha256 does not match the chunks received');
  if (!Number.isSafeInteger(trailer.records) || trailer.records < 0) throw new AttemptFailure('protocol: bad record count');
  if (trailer.receipt && trailer.receipt.length > 16 * 1024) throw new AttemptFailure('protocol: receipt larger than 16 KiB');
  return { format, records: trailer.records, bytes, sha256, chunks: seq, receipt: trailer.receipt || null };
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

/**
 * The one write of a received answer — the part's result row, the part succeeded, the
 * `department.answered` entry — in one transaction, fenced by the lease: nothing is written, and
 * false returned, when the worker no longer holds this attempt of the part. The chunks are already
 * stored (`receiveAnswer`); those of earlier attempts that never completed are dropped here.
 */
export async function recordAnswer(
  db: Db,
  audit: AuditWriter,
  input: { part: LeasedPart; workerId: string; warrantId: string; answer: Answer; completedAt: Date },
): Promise<boolean> {
  const { part, warrantId, answer, completedAt } = input;
  return db.transaction(async (tx) => {
    const done = await tx
      .update(inquiryParts)
      .set({ status: 'succeeded', completedAt, updatedAt: completedAt, leaseOwner: null, leaseExpiresAt: null, failureReason: null })
      .where(and(leaseHeld(input.workerId, part), eq(inquiryParts.warrantId, warrantId)))
      .returning({ id: inquiryParts.id });
    if (done.length === 0) return false;
    await tx.insert(results).values({
      partId: part.id,
      inquiryId: part.inquiryId,
      department: part.department,
      warrantId,
      format: answer.format,
      records: answer.records,
      bytes: answer.bytes,
      sha256: answer.sha256,
      chunks: answer.chunks,
      receipt: answer.receipt,
    });
    await tx.delete(resultChunks).where(and(eq(resultChunks.partId, part.id), ne(resultChunks.warrantId, warrantId)));
    await appendAudit(
      tx,
      {
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
      },
      audit,
    );
    return true;
  });
}
