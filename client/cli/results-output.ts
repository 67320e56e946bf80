import type { Writable } from 'node:stream';
import { once } from 'node:events';
import cliProgress from 'cli-progress';
import { renderTable } from './format';
import type { DecryptedRecord } from '../core/results';

/** Writes records as they are decrypted: NDJSON line by line, or tables section by section. */
export interface RecordWriter {
  write(record: DecryptedRecord): Promise<void>;
  /** Writes out what is held back (a batch, a table's first rows), e.g. before a status line. */
  flush(): Promise<void>;
  end(): Promise<void>;
}

async function put(out: Writable, text: string | Uint8Array): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

const LF = 0x0a;

/**
 * Runs of NDJSON lines as the department wrote them (decryptResultLines), each line tagged with the
 * department as its first field: `{"category":…}` becomes `{"department":"bank","category":…}`,
 * the line `{department, ...record}` gives, without parsing the record. A run where a
 * `"department"` key may already be, or an empty object `{}`, goes the parsing way, so that a
 * record's own field of that name wins as it does in the spread.
 */
export function ndjsonLinesWriter(out: Writable): { write(department: string, run: Uint8Array): Promise<number>; end(): Promise<void> } {
  const prefixes = new Map<string, Buffer>();
  return {
    async write(department, run) {
      let prefix = prefixes.get(department);
      if (!prefix) prefixes.set(department, (prefix = Buffer.from(`{"department":${JSON.stringify(department)},`)));
      const bytes = Buffer.from(run.buffer, run.byteOffset, run.byteLength);
      let lines = 0;
      let empty = false;
      for (let at = bytes.indexOf(LF), prev = -1; at !== -1; prev = at, at = bytes.indexOf(LF, at + 1)) {
        lines++;
        if (at - prev === 3) empty = true; // `{}`
      }
      if (empty || bytes.includes('"department"')) {
        let text = '';
        for (const line of bytes.toString('utf8').split('\n').slice(0, -1)) text += `${JSON.stringify({ department, ...(JSON.parse(line) as object) })}\n`;
        await put(out, text);
        return lines;
      }
      // Each line loses its "{" and gains the prefix, which ends in ",".
      const tagged = Buffer.allocUnsafe(bytes.length + lines * (prefix.length - 1));
      let to = 0;
      for (let from = 0; from < bytes.length; ) {
        const end = bytes.indexOf(LF, from) + 1;
        to += prefix.copy(tagged, to);
        to += bytes.copy(tagged, to, from + 1, end);
        from = end;
      }
      await put(out, tagged);
      return lines;
    },
    async end() {},
  };
}

const SECTION_SAMPLE = 200;

/**
 * A table per run of records of one department and category. Column widths come from the first
 * 200 rows of a run; later rows are written at once with those widths (a longer cell just pushes
 * its row out), so a million-row answer never sits in memory.
 */
export function tableWriter(out: Writable): RecordWriter {
  let key: string | null = null;
  let sample: DecryptedRecord[] = [];
  let widths: { cols: string[]; header: string } | null = null;
  let sections = 0;

  const rowOf = ({ category: _c, department: _d, ...rest }: DecryptedRecord) => rest;
  async function flushSample(): Promise<void> {
    if (sample.length === 0) return;
    const rows = sample.map(rowOf);
    const text = renderTable(rows);
    const lines = text.split('\n');
    widths = { cols: Object.keys(rows[0]!), header: lines.slice(0, 2).join('\n') };
    await put(out, `${sections++ ? '\n' : ''}== ${String(sample[0]!.department)} · ${String(sample[0]!.category)} ==\n${text}\n`);
    sample = [];
  }
  return {
    async write(record) {
      const k = `${String(record.department)}\0${String(record.category)}`;
      if (k !== key) {
        await flushSample();
        key = k;
        widths = null;
      }
      if (!widths) {
        sample.push(record);
        if (sample.length >= SECTION_SAMPLE) await flushSample();
        return;
      }
      // Same widths as the sample: render the row with the sample's header and keep only the row.
      const header = widths.header.split('\n')[0]!;
      const starts = widths.cols.map((c) => header.indexOf(c));
      const row = rowOf(record);
      let line = '';
      widths.cols.forEach((c, i) => {
        const v = row[c];
        const cell = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
        line = (line.length < starts[i]! ? line.padEnd(starts[i]!) : line + (i ? '  ' : '')) + cell;
      });
      await put(out, `${line.trimEnd()}\n`);
    },
    async flush() {
      await flushSample();
      key = null;
    },
    async end() {
      await flushSample();
      if (sections === 0) await put(out, '(no records)\n');
    },
  };
}

/** A progress bar on stderr for downloads past 1 MiB, only when stderr is a terminal. */
export function downloadProgress(label: string): { update(bytes: number, total: number): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  let bar: cliProgress.SingleBar | null = null;
  return {
    update(bytes, total) {
      if (!bar && total >= 1024 * 1024) {
        bar = new cliProgress.SingleBar(
          { format: `${label} [{bar}] {percentage}% | {mb}/{totalMb} MiB | {speed} MiB/s`, stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { mb: '0', totalMb: (total / 1048576).toFixed(0), speed: '0' });
        (bar as unknown as { startedAt: number }).startedAt = Date.now();
      }
      if (bar) {
        const secs = Math.max(0.001, (Date.now() - (bar as unknown as { startedAt: number }).startedAt) / 1000);
        bar.update(bytes, { mb: (bytes / 1048576).toFixed(0), speed: (bytes / 1048576 / secs).toFixed(0) });
      }
    },
    stop() {
      bar?.stop();
    },
  };
}
