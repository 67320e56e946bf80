import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseServedLog, servedLogLineHash, type ServedLogEntry } from '../../proto/served-log';

/**
 * The department's served-warrant log (its format and reader: proto/served-log.ts), opened for
 * appending by the adapter.
 */
export { ServedLogEntry } from '../../proto/served-log';

export type NewServedLogEntry = Omit<ServedLogEntry, 'seq' | 'at' | 'prev'>;

/** Entries written together at most: bounds one write's size (an entry is ~300 bytes). */
const MAX_BATCH = 256;

export interface ServedLog {
  /** True if a warrant with this id was ever accepted (or served): it must not be served again. */
  wasUsed(jti: string): boolean;
  append(entry: NewServedLogEntry): Promise<ServedLogEntry>;
  entries(): readonly ServedLogEntry[];
  close(): Promise<void>;
}

/** Opens (or creates) the log, checking every line and the hash chain; a broken log refuses to open. */
export async function openServedLog(file: string, clock: () => Date = () => new Date()): Promise<ServedLog> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw new Error(`${file}: cannot read the served-warrant log (${err.code})`);
  });
  const parsed = parseServedLog(text, file);
  const entries: ServedLogEntry[] = parsed.entries;
  let prev = parsed.last;
  const used = new Set<string>();
  for (const e of entries) if (e.jti && e.outcome !== 'refused') used.add(e.jti);
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let handle: FileHandle | null = await open(file, 'a', 0o600);
  /** Appends waiting for the next write; each write takes all of them (group commit). */
  const waiting: { entry: NewServedLogEntry; resolve(e: ServedLogEntry): void; reject(err: unknown): void }[] = [];
  /** Whether a writer runs; set and cleared synchronously, so no append is left waiting without one. */
  let writing = false;
  let written: Promise<void> = Promise.resolve();

  // Appends are serialised — seq and the chain need a single writer — and grouped: the entries
  // that arrive while one write and its datasync run go together in the next, one write and one
  // datasync for all of them, each resolved once it is durable. Under load that is one sync for
  // many warrants instead of a queue of syncs each call waits behind. The flag is cleared in the
  // same turn as the last look at `waiting` (no await between them), so an append that comes after
  // it starts a writer of its own.
  async function writeWaiting(): Promise<void> {
    try {
      while (waiting.length > 0) {
        const batch = waiting.splice(0, MAX_BATCH);
        let chain = prev;
        const lines = batch.map(({ entry }, i) => {
          const full: ServedLogEntry = { seq: entries.length + i, at: clock().toISOString(), ...entry, prev: chain };
          const line = JSON.stringify(full);
          chain = servedLogLineHash(line);
          return { full, line };
        });
        try {
          if (!handle) throw new Error(`${file}: the served-warrant log is closed`);
          await handle.appendFile(lines.map((w) => `${w.line}\n`).join(''));
          await handle.datasync();
        } catch (err) {
          for (const w of batch) w.reject(err);
          continue;
        }
        prev = chain;
        for (const [i, { full }] of lines.entries()) {
          entries.push(full);
          if (full.jti && full.outcome !== 'refused') used.add(full.jti);
          batch[i]!.resolve(full);
        }
      }
    } finally {
      writing = false;
    }
  }

  return {
    wasUsed: (jti) => used.has(jti),
    entries: () => entries,
    append(entry) {
      return new Promise<ServedLogEntry>((resolve, reject) => {
        waiting.push({ entry, resolve, reject });
        if (!writing) {
          writing = true;
          written = writeWaiting();
        }
      });
    },
    async close() {
      await written;
      await handle?.close();
      handle = null;
    },
  };
}
