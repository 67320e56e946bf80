import { InvalidArgumentError, Option } from 'commander';
/** Plain-text tables for the terminal; wide CJK characters count double so columns line up. */
export function renderTable(rows: Record<string, unknown>[], columns?: string[]): string {
  if (rows.length === 0) return '(no records)';
  const cols = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = cols.map((c) => Math.max(displayWidth(c), ...rows.map((r) => displayWidth(cell(r[c])))));
  const line = (values: string[]) => values.map((v, i) => v + ' '.repeat(widths[i]! - displayWidth(v))).join('  ').trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/u.test(ch) ? 2 : 1;
  return w;
}

/** The gateway `./qiao` talks to unless told otherwise (`--gateway`, `QIAO_GATEWAY`). */
export const DEFAULT_GATEWAY = 'http://127.0.0.1:8080';

/** The `./qiao` prefix of a command to suggest: with `--gateway` when this one was not the default. */
export function qiaoCommand(baseUrl: string): string {
  return baseUrl === DEFAULT_GATEWAY ? './qiao' : `./qiao --gateway ${baseUrl}`;
}

/**
 * `--wait [seconds]` of the commands that read results: how long to wait for departments still
 * working. Given alone it means the default, so `qiao results <id> --wait` reads as it sounds; a
 * value that is not a number of seconds stops the command with what was wrong.
 */
export function waitOption(defaultSeconds = 30): Option {
  return new Option('--wait [seconds]', 'wait this long for departments still working')
    .default(defaultSeconds)
    .preset(String(defaultSeconds))
    .argParser((value: string) => {
      const seconds = Number(value);
      if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0) {
        throw new InvalidArgumentError(`expected a number of seconds (0 or more), got "${value}"`);
      }
      return seconds;
    });
}
