/**
 * `npm run soak -- [--count 5000] [--concurrency 8] [--cpu-load 2] [--max-minutes 120] [--report FILE]`: the demo
 * federation exactly as `npm start` runs it (PGlite, or PostgreSQL: a fresh database on DATABASE_URL's server), driven with
 * mixed small inquiries (public security, natural resources, both) through the client core, with
 * `--cpu-load` busy processes competing for the CPU (the gateway's V8 aborts came on a loaded
 * machine). Reports every unexpected process exit the launcher saw and restarted, and exits 1 if
 * there was any. Bounded in count and time; everything runs on 127.0.0.1; not part of CI.
 * `--report FILE` writes a summary (bench/soak-report.ts); `QIAO_RUN_DIR` keeps the federation's
 * files (logs, PKI, data) in that folder instead of a temporary one removed at the end, and the
 * PostgreSQL database;
 * `QIAO_NODE_FLAGS` reaches every process of the federation (scripts/start.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ApiClient } from '../client/core/api-client';
import { waitForResults } from '../client/core/results';
import { startProcessFederation, type ProcessFederation } from './federation-process';
import { freshDatabase } from '../gateway/db/testing';
import { cpuPerInquiry, memoryOfFederation, percentile, writeReport, type ProcessMemory, type SoakReport } from './soak-report';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '8' },
    'cpu-load': { type: 'string', default: '2' },
    'max-minutes': { type: 'string', default: '120' },
    report: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`npm run soak -- [options]: the demo federation as \`npm start\` runs it, driven with mixed small inquiries

  --count N          inquiries to run (default 5000)
  --concurrency N    inquiries in flight at once (default 8)
  --cpu-load N       busy processes competing for the CPU (default 2)
  --max-minutes N    stop after this long even if the count is not reached (default 120)
  --report FILE      write a summary: counts, exits, restarts, latency, load average, memory (Markdown; JSON if FILE ends in .json)

  DATABASE_URL       soak on PostgreSQL instead of PGlite: in a fresh database on that server, dropped at the end
  QIAO_RUN_DIR       keep the federation's logs, PKI and data in this folder (default: a temporary one, removed)
  QIAO_NODE_FLAGS    extra node flags for every process of the federation, e.g. a V8 flag to try`);
  process.exit(0);
}
const COUNT = Number(values.count);
const CONCURRENCY = Number(values.concurrency);
const CPU_LOAD = Number(values['cpu-load']);
const MAX_MINUTES = Number(values['max-minutes']);
const DEADLINE = Date.now() + MAX_MINUTES * 60_000;
for (const [name, value] of Object.entries({ count: COUNT, concurrency: CONCURRENCY, 'cpu-load': CPU_LOAD, 'max-minutes': MAX_MINUTES })) {
  if (!Number.isFinite(value) || value < 0) {
    console.error(`soak: --${name} must be a number, not ${JSON.stringify(values[name as keyof typeof values])}`);
    process.exit(2);
  }
}
const LI = '150627196803120034';
const MIX = [['household', 'household_members'], ['real_estate', 'grassland_contracts'], ['household', 'real_estate']];

async function main() {
  const keep = process.env.QIAO_RUN_DIR ? resolve(process.env.QIAO_RUN_DIR) : null;
  const work = keep ?? (await mkdtemp(join(tmpdir(), 'qiao-soak-')));
  await mkdir(work, { recursive: true });
  const startedAt = new Date();
  const failures: string[] = [];
  const latencies: number[] = [];
  const loads: number[] = [loadavg()[0]!];
  const sampling = setInterval(() => loads.push(loadavg()[0]!), 5_000);
  let memoryAtEnd: ProcessMemory[] = [];
  let cpu: SoakReport['cpu'] = null;
  const load: ChildProcess[] = [];
  let federation: ProcessFederation | null = null;
  let done = 0;
  let failed = 0;
  const started = Date.now();
  // On PostgreSQL, a database of its own on DATABASE_URL's server: dropped at the end, kept with QIAO_RUN_DIR.
  const database = process.env.DATABASE_URL ? await freshDatabase(process.env.DATABASE_URL, 'qiao_soak') : null;
  try {
    federation = await startProcessFederation({
      work,
      ...(database ? { databaseUrl: database.url } : {}),
      onLine: (line) => {
        if (/exited unexpectedly/.test(line)) console.log(`  ! ${line}`);
      },
    });
    const { gateway, exits } = federation;
    console.log(`federation up at ${gateway}; ${COUNT} inquiries at concurrency ${CONCURRENCY}, ${CPU_LOAD} competing busy process(es)`);
    for (let i = 0; i < CPU_LOAD; i++) load.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
    const login = (u: string) => federation!.login(u);
    let investigator: ApiClient = await login('inv.ejinhoro');
    let approver: ApiClient = await login('appr.ordos');
    let tokensAt = Date.now();
    let next = 0;
    // CPU per inquiry is read after a warm-up (JIT, connections, caches): a reading of every
    // process now, one at the end.
    const warmUp = Math.min(Math.max(CONCURRENCY * 4, Math.ceil(COUNT / 10)), Math.floor(COUNT / 2));
    let atWarm: CpuReading | null = null;
    let warming: Promise<void> | null = null;
    const one = async (n: number) => {
      const { id } = await investigator.submitInquiry({
        caseReference: `SOAK-${n}`,
        legalBasis: 'Supervision Law art. 18',
        purpose: 'soak test',
        subjects: [{ kind: 'person', id: LI }],
        categories: MIX[n % MIX.length]!,
      });
      await approver.approve(id, { comment: 'soak' });
      const listing = await waitForResults(investigator, id, 120_000);
      if (listing.results.some((r) => r.status !== 'succeeded')) throw new Error(`inquiry ${id}: ${listing.results.map((r) => `${r.department} ${r.status} ${r.failureReason ?? ''}`).join('; ')}`);
    };
    const timed = async (n: number) => {
      const t0 = performance.now();
      await one(n);
      latencies.push(performance.now() - t0);
    };
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < COUNT && Date.now() < DEADLINE) {
          const n = next++;
          if (Date.now() - tokensAt > 10 * 60_000) {
            // A login is an unsigned write the client never sends again: a refresh that fails
            // keeps the tokens it has (valid a while longer) and is tried again by the next inquiry.
            try {
              [investigator, approver, tokensAt] = [await login('inv.ejinhoro'), await login('appr.ordos'), Date.now()];
            } catch (err) {
              console.log(`  token refresh failed, trying again with the next inquiry: ${(err as Error).message.slice(0, 200)}`);
            }
          }
          try {
            await timed(n);
            done += 1;
          } catch (err) {
            failed += 1;
            if (failed <= 20) {
              failures.push(`inquiry ${n}: ${(err as Error).message.slice(0, 300)}`);
              console.log(`  inquiry ${n} failed: ${(err as Error).message.slice(0, 300)}`);
            }
          }
          if (done + failed === warmUp) warming = readCpu(federation!, done).then((r) => void (atWarm = r));
          if ((done + failed) % 250 === 0) console.log(`  ${done + failed}/${COUNT} (${failed} failed, ${exits.length} process exit(s)) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
        }
      }),
    );
    {
      await warming;
      const warm = atWarm as CpuReading | null;
      if (warm) {
        const end = await readCpu(federation, done);
        cpu = { inquiries: end.done - warm.done, seconds: (end.at - warm.at) / 1000, perInquiryMs: cpuPerInquiry(warm.seconds, end.seconds, end.done - warm.done) };
        console.log(`CPU ms per inquiry after the warm-up (${cpu.inquiries} inquiries, ${(cpu.inquiries / cpu.seconds).toFixed(1)}/s): ${cpu.perInquiryMs.map((x) => `${x.process} ${x.ms}`).join(', ')}`);
      }
      if (federation.process.pid !== undefined) memoryAtEnd = await memoryOfFederation(federation.process.pid, federation.logDir);
    }
  } finally {
    clearInterval(sampling);
    loads.push(loadavg()[0]!);
    for (const p of load) p.kill('SIGKILL');
    await federation?.stop();
    if (!keep) await rm(work, { recursive: true, force: true });
    if (database && !keep) await database.drop();
  }
  const s = (Date.now() - started) / 1000;
  const exits = federation?.exits ?? [];
  const restarts = federation?.restarts ?? [];
  const exitWords = exits.map((e) => `${e.process} (${e.how}) after ${e.afterSeconds} s`);
  console.log(`\nsoak: ${done} inquiries answered, ${failed} failed, in ${s.toFixed(0)} s (${(done / s).toFixed(1)}/s); ${exits.length} unexpected process exit(s)${exits.length ? `: ${exitWords.join(', ')}` : ''}`);
  if (keep) console.log(`logs of the federation: ${join(work, 'logs')}${database ? `; its database: ${database.name} (kept)` : ''}`);
  if (values.report) {
    const sorted = [...latencies].sort((a, b) => a - b);
    const round = (v: number | null) => (v === null ? null : Math.round(v));
    await writeReport(values.report, {
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round(s),
      machine: { node: process.version, cpus: cpus().length, database: process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite', nodeFlags: process.env.QIAO_NODE_FLAGS ?? '' },
      settings: { count: COUNT, concurrency: CONCURRENCY, cpuLoad: CPU_LOAD, maxMinutes: MAX_MINUTES },
      inquiries: { answered: done, failed, perSecond: Math.round((done / s) * 100) / 100, latencyMs: { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), max: round(sorted.at(-1) ?? null) } },
      exits,
      restarts,
      loadAverage: {
        start: loads[0]!,
        mean: Math.round((loads.reduce((a, b) => a + b, 0) / loads.length) * 100) / 100,
        max: Math.max(...loads),
        end: loads.at(-1)!,
      },
      memoryAtEnd,
      cpu,
      failures,
      runDir: keep,
    });
    console.log(`report written to ${values.report}`);
  }
  process.exit(exits.length || failed ? 1 : 0);
}

interface CpuReading {
  at: number;
  done: number;
  /** CPU seconds by process name: the federation's, `client` (this process), `postgres`. */
  seconds: Map<string, number>;
}

async function readCpu(federation: ProcessFederation, done: number): Promise<CpuReading> {
  return { at: Date.now(), done, seconds: await federation.readCpu() };
}

main().catch((err: unknown) => {
  console.error(`soak: ${(err as Error).message}`);
  process.exit(1);
});
