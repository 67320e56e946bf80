import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';

/**
 * The department's own record of every warrant it was shown: an append-only NDJSON file, each
 * line chained to the previous one by SHA-256 so a local edit is detectable. It is the
 * department's evidence against the gateway's audit log (reconciliation, proto/reconcile.ts)
 * and its memory of which warrant ids (`jti`) were already used, across restarts. The adapter
 * writes it (adapters/kit/served-log.ts); this module reads it, in Node and in the console.
 *
 * Outcomes: `accepted` is written (and flushed) after all checks pass and BEFORE any data is
 * looked up, so a warrant can never be served twice even if the process dies mid-answer;
 * `served` follows with the answer's digests, or `failed` if the answer could not be completed.
 * `refused` records a warrant that failed a check (its jti may be unknown or forged).
 */
export const ServedLogEntry = z.object({
  seq: z.number().int().nonnegative(),
  at: z.string(),
  outcome: z.enum(['accepted', 'served', 'failed', 'refused']),
  jti: z.string().optional(),
  /** SHA-256 (hex) of the compact warrant as received. */
  warrantSha256: z.string(),
  inquiryId: z.string().optional(),
  reason: z.string().optional(),
  records: z.number().int().nonnegative().optional(),
  bytes: z.number().int().nonnegative().optional(),
  ciphertextSha256: z.string().optional(),
  /** `refused`: the calling address without its port. */
  peer: z.string().optional(),
  /** `refused`: this line stands for that many refused calls of its peer and reason in one window (refusal-record.ts). */
  count: z.number().int().min(1).optional(),
  /** Hash of the previous line (hex); the first line chains to 64 zeros. */
  prev: z.string(),
});
export type ServedLogEntry = z.infer<typeof ServedLogEntry>;

export const SERVED_LOG_GENESIS = '0'.repeat(64);
/** The chain's hash of one line as written (without its newline). */
export const servedLogLineHash = (line: string): string => bytesToHex(sha256(utf8ToBytes(line)));

export class ServedLogError extends Error {
  override readonly name = 'ServedLogError';
}

/**
 * The entries of a served-warrant log's text, every line checked against the format and the
 * hash chain; `name` (the file's) goes into the messages. Also gives the last line's hash, which
 * the next line chains to. A broken log is refused whole: nothing is guessed.
 */
export function parseServedLog(text: string, name: string): { entries: ServedLogEntry[]; last: string } {
  const entries: ServedLogEntry[] = [];
  let prev = SERVED_LOG_GENESIS;
  if (text.length > 0 && !text.endsWith('\n')) {
    // The process died while writing the last line. Nothing is guessed: a person decides.
    throw new ServedLogError(`${name}: the last line is incomplete (the process died while writing it); move the file aside, keep it, and restart`);
  }
  text.split('\n').slice(0, -1).forEach((line, i) => {
    const parsed = ServedLogEntry.safeParse(safeJson(line));
    if (!parsed.success) throw new ServedLogError(`${name}:${i + 1}: not a served-warrant log entry; the log is damaged — keep it for investigation and do not edit it`);
    if (parsed.data.prev !== prev || parsed.data.seq !== i) {
      throw new ServedLogError(`${name}:${i + 1}: the hash chain is broken (line ${i + 1} does not follow line ${i}); the log was edited`);
    }
    prev = servedLogLineHash(line);
    entries.push(parsed.data);
  });
  return { entries, last: prev };
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
