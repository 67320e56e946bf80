import { createHash } from 'node:crypto';
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

/**
 * The department's own record of every warrant it was shown: an append-only NDJSON file, each
 * line chained to the previous one by SHA-256 so a local edit is detectable. It is the
 * department's evidence against the gateway's audit log (reconciliation) and its memory of which
 * warrant ids (`jti`) were already used, across restarts.
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

export type NewServedLogEntry = Omit<ServedLogEntry, 'seq' | 'at' | 'prev'>;

export interface ServedLog {
  /** True if a warrant with this id was ever accepted (or served): it must not be served again. */
  wasUsed(jti: string): boolean;
  append(entry: NewServedLogEntry): Promise<ServedLogEntry>;
  entries(): readonly ServedLogEntry[];
  close(): Promise<void>;
}

const GENESIS = '0'.repeat(64);
const lineHash = (line: string) => createHash('sha256').update(line).digest('hex');

/** Opens (or creates) the log, checking every line and the hash chain; a broken log refuses to open. */
export async function openServedLog(file: string, clock: () => Date = () => new Date()): Promise<ServedLog> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw new Error(`${file}: cannot read the served-warrant log (${err.code})`);
  });
  const entries: ServedLogEntry[] = [];
  const used = new Set<string>();
  let prev = GENESIS;
  if (text.length > 0 && !text.endsWith('\n')) {
    // The process died while writing the last line. Nothing is guessed: a person decides.
    throw new Error(`${file}: the last line is incomplete (the process died while writing it); move the file aside, keep it, and restart`);
  }
  text.split('\n').slice(0, -1).forEach((line, i) => {
    const parsed = ServedLogEntry.safeParse(safeJson(line));
    if (!parsed.success) throw new Error(`${file}:${i + 1}: not a served-warrant log entry; the log is damaged — keep it for investigation and do not edit it`);
    if (parsed.data.prev !== prev || parsed.data.seq !== i) {
      throw new Error(`${file}:${i + 1}: the hash chain is broken (line ${i + 1} does not follow line ${i}); the log was edited`);
    }
    prev = lineHash(line);
    entries.push(parsed.data);
    if (parsed.data.jti && parsed.data.outcome !== 'refused') used.add(parsed.data.jti);
  });
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let handle: FileHandle | null = await open(file, 'a', 0o600);
  let queue: Promise<unknown> = Promise.resolve();

  return {
    wasUsed: (jti) => used.has(jti),
    entries: () => entries,
    append(entry) {
      // Appends are serialised: seq and the chain need a single writer.
      const next = queue.then(async () => {
        if (!handle) throw new Error(`${file}: the served-warrant log is closed`);
        const full: ServedLogEntry = { seq: entries.length, at: clock().toISOString(), ...entry, prev };
        const line = JSON.stringify(full);
        await handle.appendFile(`${line}\n`);
        await handle.datasync();
        prev = lineHash(line);
        entries.push(full);
        if (full.jti && full.outcome !== 'refused') used.add(full.jti);
        return full;
      });
      queue = next.catch(() => {});
      return next;
    },
    async close() {
      await queue;
      await handle?.close();
      handle = null;
    },
  };
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
