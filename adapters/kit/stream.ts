import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { ServerWritableStream } from '@grpc/grpc-js';
import type { ExecuteRequest, ResultFrameOut, ResultHeader, ResultTrailer } from '../../proto/department';

/** Chunks stay well under gRPC's default 4 MiB message limit and keep memory per frame small. */
export const MAX_CHUNK_BYTES = 64 * 1024;

export function* splitChunks(bytes: Uint8Array, size = MAX_CHUNK_BYTES): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

/** The trailer a receiver recomputes: byte count and lowercase hex SHA-256 of the concatenated chunks. */
export function trailerFor(ciphertext: Uint8Array, records: number): ResultTrailer {
  return { records, bytes: ciphertext.length, sha256: createHash('sha256').update(ciphertext).digest('hex') };
}

type Call = ServerWritableStream<ExecuteRequest, ResultFrameOut>;

/** header, chunks, trailer, end — waiting for 'drain' under back-pressure, stopping if the caller leaves. */
export async function streamResult(call: Call, header: ResultHeader, ciphertext: Uint8Array, records: number): Promise<void> {
  const frames: ResultFrameOut[] = [{ header }];
  for (const chunk of splitChunks(ciphertext)) frames.push({ chunk });
  frames.push({ trailer: trailerFor(ciphertext, records) });
  for (const frame of frames) {
    if (call.cancelled) return;
    if (!call.write(frame)) await Promise.race([once(call, 'drain'), once(call, 'cancelled')]);
  }
  if (!call.cancelled) call.end();
}
