import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseServedLog, servedLogLineHash, type ServedLogEntry } from '../../proto/served-log';

/**
 * The department's served-warrant log (its format and reader: proto/served-log.ts), opened for
 * appending by the adapter.
 */
export { ServedLogEntry } from '../../proto/served-log';

export type NewServedLogEntry = Omit<ServedLogEntry, 'seq' | 'at' | 'prev'>;

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
        prev = servedLogLineHash(line);
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
