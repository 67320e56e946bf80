import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { JWK } from 'jose';
import type { ExecuteRequest, ResultFrameOut } from '../../proto/grpc/department';
import { signReceipt } from '../../proto/receipt';
import { NODE_ENVELOPE } from '../../proto/node/primitives';
import { RESULT_FORMAT, ResultEncryptor } from '../../proto/result-envelope';
import type { WarrantClaims } from '../../proto/warrant';

type Call = ServerWritableStream<ExecuteRequest, ResultFrameOut>;

/** The caller went away mid-answer: nothing more is sent. */
export class CallCancelled extends Error {
  override readonly name = 'CallCancelled';
}

/** One frame, waiting for 'drain' when gRPC's buffer is full, so a slow reader slows the source down. */
export async function writeFrame(call: Call, frame: ResultFrameOut): Promise<void> {
  if (call.cancelled) throw new CallCancelled('the caller cancelled the call');
  if (call.write(frame)) return;
  const stop = new AbortController();
  try {
    await Promise.race([once(call, 'drain', { signal: stop.signal }), once(call, 'cancelled', { signal: stop.signal })]);
  } finally {
    stop.abort();
  }
  if (call.cancelled) throw new CallCancelled('the caller cancelled the call');
}

export interface Served {
  records: number;
  bytes: number;
  sha256: string;
  receipt: string;
}

/**
 * Encrypts records as the source yields them and streams them: header frame, the result's header
 * block, one chunk per encrypted frame (≤ 64 KiB + 20 bytes), then a trailer with counts, digest
 * and the signed receipt. The first record is read before anything is sent, so a source that
 * fails at once is a clean refusal with no frame before it.
 */
export async function streamAnswer(
  call: Call,
  opts: { claims: WarrantClaims; department: string; records: AsyncIterable<object>; receiptKey: JWK; now?: () => Date },
): Promise<Served> {
  const { claims, department } = opts;
  const it = opts.records[Symbol.asyncIterator]();
  let next = await it.next();
  const enc = await ResultEncryptor.create(claims.recipient.key, { warrantId: claims.jti, department }, NODE_ENVELOPE);
  const digest = createHash('sha256');
  let bytes = 0;
  let records = 0;
  const send = async (piece: Uint8Array) => {
    digest.update(piece);
    bytes += piece.length;
    await writeFrame(call, { chunk: piece });
  };
  await writeFrame(call, { header: { format: RESULT_FORMAT, warrantId: claims.jti, department } });
  await send(enc.header);
  // NDJSON lines are gathered as a string and turned into bytes ~16 K characters at a time: one
  // Buffer per record costs more than the encryption.
  let lines = '';
  try {
    for (; !next.done; next = await it.next()) {
      records += 1;
      lines += `${JSON.stringify(next.value)}\n`;
      if (lines.length >= 16_384) {
        const frames = await enc.push(Buffer.from(lines, 'utf8'));
        lines = '';
        for (const frame of frames) await send(frame);
      }
    }
  } finally {
    if (!next.done) await it.return?.(undefined);
  }
  for (const frame of await enc.push(Buffer.from(lines, 'utf8'))) await send(frame);
  for (const frame of await enc.finish()) await send(frame);
  const sha256 = digest.digest('hex');
  const iat = Math.floor((opts.now?.() ?? new Date()).getTime() / 1000);
  const receipt = await signReceipt(
    { iss: department, warrant_id: claims.jti, inquiry_id: claims.inquiry_id, format: RESULT_FORMAT, records, bytes, ciphertext_sha256: sha256, iat },
    opts.receiptKey,
  );
  await writeFrame(call, { trailer: { records, bytes, sha256, receipt } });
  call.end();
  return { records, bytes, sha256, receipt };
}
