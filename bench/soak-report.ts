/**
 * What `npm run soak -- --report <file>` writes: the run's counts, exits, restarts, latency, load
 * average and the memory of each process of the federation at the end, as Markdown or (a file
 * ending in .json) JSON. Linux only for the memory: RSS comes from /proc, the heap from each
 * process's Prometheus metrics where it has them (the gateway, the adapters).
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ProcessExit {
  process: string;
  /** `code 133`, or a signal name. */
  how: string;
  code: number | null;
  signal: string | null;
  afterSeconds: number;
}

export interface ProcessMemory {
  process: string;
  pid: number;
  rssMiB: number;
  /** V8's used heap, from the process's metrics; null where it has none. */
  heapUsedMiB: number | null;
}

export interface SoakReport {
  startedAt: string;
  durationSeconds: number;
  machine: { node: string; cpus: number; database: 'PGlite' | 'PostgreSQL'; nodeFlags: string };
  settings: { count: number; concurrency: number; cpuLoad: number; maxMinutes: number };
  inquiries: { answered: number; failed: number; perSecond: number; latencyMs: { p50: number | null; p95: number | null; max: number | null } };
  exits: ProcessExit[];
  restarts: { process: string; restart: number }[];
  loadAverage: { start: number; mean: number; max: number; end: number };
  memoryAtEnd: ProcessMemory[];
  /**
   * CPU time per answered inquiry of each process (its threads included), between the end of the
   * warm-up and the end of the run; `postgres` sums the database's backends serving the soak's
   * database (PostgreSQL only), `client` is the soak's own process (signing, HTTP, checks).
   */
  cpu: { inquiries: number; seconds: number; perInquiryMs: { process: string; ms: number }[] } | null;
  /** The first failures, as the soak printed them. */
  failures: string[];
  runDir: string | null;
}

/** The launcher's line for an exit: `gateway exited unexpectedly (code 133) after 412 s; …`. */
export function readExit(line: string): ProcessExit | null {
  const m = /^(\S+) exited unexpectedly \(([^)]+)\) after (\d+) s/.exec(line);
  if (!m) return null;
  const code = /^code (-?\d+)$/.exec(m[2]!);
  return { process: m[1]!, how: m[2]!, code: code ? Number(code[1]) : null, signal: code ? null : m[2]!, afterSeconds: Number(m[3]) };
}

/** The launcher's line for a restarted process that is ready again: `gateway is back (restart 1)`. */
export function readRestart(line: string): { process: string; restart: number } | null {
  const m = /^(\S+) is back \(restart (\d+)\)/.exec(line);
  return m ? { process: m[1]!, restart: Number(m[2]) } : null;
}

export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * The processes the launcher (pid `launcher`) started, by the name it gives them, with their RSS
 * now; the heap from the metrics address each last logged in `<logDir>/<name>.log`.
 */
export async function memoryOfFederation(launcher: number, logDir: string): Promise<ProcessMemory[]> {
  const out: ProcessMemory[] = [];
  const self = await rssOf(launcher);
  if (self !== null) out.push({ process: 'launcher', pid: launcher, rssMiB: self, heapUsedMiB: null });
  for (const pid of await childrenOf(launcher)) {
    const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const name = processName(args);
    const rss = await rssOf(pid);
    if (!name || rss === null) continue;
    out.push({ process: name, pid, rssMiB: rss, heapUsedMiB: await heapOf(join(logDir, `${name}.log`)) });
  }
  return out.sort((a, b) => a.process.localeCompare(b.process));
}

/** CPU seconds (user + system, all threads) of the launcher's processes, by name, now. */
export async function cpuOfFederation(launcher: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const pid of await childrenOf(launcher)) {
    const name = processName((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0'));
    const seconds = await cpuSecondsOf(pid);
    if (name && seconds !== null) out.set(name, (out.get(name) ?? 0) + seconds);
  }
  return out;
}

/** CPU seconds (user + system, all threads) of each pid, summed; processes gone are left out. */
export async function cpuSecondsOfPids(pids: readonly number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const s = await cpuSecondsOf(pid);
    if (s !== null) out.set(pid, s);
  }
  return out;
}

/** Linux's clock ticks (USER_HZ) are 100 a second on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

async function cpuSecondsOf(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!stat) return null;
  // Fields after the command name's closing ')': state is field 3, utime 14 and stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Per-inquiry CPU milliseconds of each process between two readings, most first. */
export function cpuPerInquiry(before: Map<string, number>, after: Map<string, number>, inquiries: number): { process: string; ms: number }[] {
  if (inquiries <= 0) return [];
  return [...after]
    .map(([process, s]) => ({ process, ms: Math.round(((s - (before.get(process) ?? 0)) * 1000 * 10) / inquiries) / 10 }))
    .filter((x) => x.ms > 0)
    .sort((a, b) => b.ms - a.ms);
}

export function processName(args: string[]): string | null {
  if (args.some((a) => a.endsWith('adapters/main.ts'))) return args[args.indexOf('--department') + 1] ?? 'adapter';
  if (args.some((a) => a.endsWith('gateway/main.ts'))) return 'gateway';
  if (args.some((a) => a.endsWith('demo/oidc-provider.ts'))) return 'oidc-provider';
  if (args.some((a) => a.endsWith('client/console/serve.ts'))) return 'console';
  return null;
}

/** The pids whose parent is `parent`, from /proc (Linux). */
export async function childrenOf(parent: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // The command name (field 2) is in parentheses and may hold spaces: fields after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parent) pids.push(Number(entry));
  }
  return pids;
}

async function rssOf(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const kib = status && /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kib ? mib(Number(kib) * 1024) : null;
}

async function heapOf(logFile: string): Promise<number | null> {
  const log = await readFile(logFile, 'utf8').catch(() => '');
  const urls = [...log.matchAll(/\(metrics (http:\/\/\S+\/metrics)\)/g)];
  const url = urls.at(-1)?.[1];
  if (!url) return null;
  try {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).text();
    const used = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1];
    return used ? mib(Number(used)) : null;
  } catch {
    return null;
  }
}

const mib = (bytes: number) => Math.round((bytes / 1024 ** 2) * 10) / 10;

export async function writeReport(file: string, report: SoakReport): Promise<void> {
  await writeFile(file, file.endsWith('.json') ? `${JSON.stringify(report, null, 2)}\n` : markdown(report));
}

function markdown(r: SoakReport): string {
  const ms = (v: number | null) => (v === null ? '—' : `${v.toFixed(0)} ms`);
  const lines = [
    `# Soak of ${r.startedAt}`,
    '',
    `${r.settings.count} inquiries asked at concurrency ${r.settings.concurrency}, ${r.settings.cpuLoad} competing busy process(es), bound ${r.settings.maxMinutes} min; ` +
      `${r.machine.database}, Node ${r.machine.node}, ${r.machine.cpus} CPUs${r.machine.nodeFlags ? `, QIAO_NODE_FLAGS=${r.machine.nodeFlags}` : ''}.`,
    '',
    '| | |',
    '|---|---|',
    `| answered | ${r.inquiries.answered} |`,
    `| failed | ${r.inquiries.failed} |`,
    `| duration | ${r.durationSeconds.toFixed(0)} s (${r.inquiries.perSecond.toFixed(2)} answered/s) |`,
    `| latency, submit to results (p50 / p95 / max) | ${ms(r.inquiries.latencyMs.p50)} / ${ms(r.inquiries.latencyMs.p95)} / ${ms(r.inquiries.latencyMs.max)} |`,
    `| unexpected process exits | ${r.exits.length} |`,
    `| restarts | ${r.restarts.length} |`,
    `| load average, 1 min (start / mean / max / end) | ${[r.loadAverage.start, r.loadAverage.mean, r.loadAverage.max, r.loadAverage.end].map((v) => v.toFixed(1)).join(' / ')} |`,
    '',
  ];
  if (r.exits.length) {
    lines.push('## Process exits', '', '| process | exit | after |', '|---|---|---|');
    for (const e of r.exits) lines.push(`| ${e.process} | ${e.signal ?? `code ${e.code}`} | ${e.afterSeconds} s |`);
    lines.push('');
  }
  if (r.restarts.length) {
    lines.push('## Restarts', '', ...r.restarts.map((x) => `- ${x.process} back (restart ${x.restart})`), '');
  }
  lines.push('## Memory at the end', '', '| process | pid | RSS | heap used |', '|---|---|---|---|');
  for (const m of r.memoryAtEnd) lines.push(`| ${m.process} | ${m.pid} | ${m.rssMiB} MiB | ${m.heapUsedMiB === null ? '—' : `${m.heapUsedMiB} MiB`} |`);
  lines.push('');
  if (r.cpu && r.cpu.perInquiryMs.length) {
    const total = r.cpu.perInquiryMs.reduce((a, b) => a + b.ms, 0);
    lines.push(
      '## CPU per inquiry',
      '',
      `After the warm-up: ${r.cpu.inquiries} inquiries in ${r.cpu.seconds.toFixed(0)} s (${(r.cpu.inquiries / r.cpu.seconds).toFixed(1)}/s). CPU time of each process (all its threads), in milliseconds per answered inquiry; \`client\` is the soak's own process, \`postgres\` the database's backends for the soak's database.`,
      '',
      '| process | CPU ms / inquiry |',
      '|---|---|',
      ...r.cpu.perInquiryMs.map((x) => `| ${x.process} | ${x.ms.toFixed(1)} |`),
      `| all | ${total.toFixed(1)} |`,
      '',
    );
  }
  if (r.failures.length) lines.push('## First failures', '', ...r.failures.map((f) => `- ${f.replace(/\|/g, '\\|')}`), '');
  if (r.runDir) lines.push(`Logs of the federation: ${r.runDir}/logs/`, '');
  return lines.join('\n');
}
