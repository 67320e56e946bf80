import { createHash } from 'node:crypto';
import type { Db } from '../db/client';
import { resultChunks } from '../db/schema';
import type { ResultFrame } from '../departments/client';

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
  let format: string | null = null;
  let trailer: { records: number; bytes: number; sha256: string; receipt?: string } | null = null;
  const digest = createHash('sha256');
  let bytes = 0;
  let seq = 0;
  // Chunks go to the database in multi-row inserts of about 1 MiB: one round trip per 64 KiB
  // chunk made the database the bottleneck, and 1 MiB is still a small, fixed amount of memory.
  let pending: (typeof resultChunks.$inferInsert)[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    const rows = pending;
    pending = [];
    pendingBytes = 0;
    await db.insert(resultChunks).values(rows);
  };
  for await (const frame of frames) {
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
