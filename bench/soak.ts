/**
 * `npm run soak -- [--count 5000] [--concurrency 8] [--cpu-load 2] [--max-minutes 120] [--report FILE]`: the demo
 * federation exactly as `npm start` runs it (PGlite, or PostgreSQL with DATABASE_URL), driven with
 * mixed small inquiries (public security, natural resources, both) through the client core, with
 * `--cpu-load` busy processes competing for the CPU (the gateway's V8 aborts came on a loaded
 * machine). Reports every unexpected process exit the launcher saw and restarted, and exits 1 if
 * there was any. Bounded in count and time; everything runs on 127.0.0.1; not part of CI.
 * `--report FILE` writes a summary (bench/soak-report.ts); `QIAO_RUN_DIR` keeps the federation's
 * files (logs, PKI, data) in that folder instead of a temporary one removed at the end;
 * `QIAO_NODE_FLAGS` reaches every process of the federation (scripts/start.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createApiClient, type ApiClient } from '../client/core/api-client';
import { withSigning } from '../client/core/signing';
import { readAuthorityKey, readSigner, readUnitKey } from '../client/cli/signing-keys';
import { waitForResults } from '../client/core/results';
import { devLogin } from '../client/core/session';
import { freePort } from '../tests/harness/ports';
import pg from 'pg';
import { cpuOfFederation, cpuPerInquiry, cpuSecondsOfPids, memoryOfFederation, percentile, readExit, readRestart, writeReport, type ProcessExit, type ProcessMemory, type SoakReport } from './soak-report';

const ROOT = resolve(import.meta.dirname, '..');
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

  DATABASE_URL       soak on PostgreSQL instead of PGlite
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
  // The demo's policies with the fair-use limits lifted: a soak is thousands of inquiries a day.
  const policyDir = join(work, 'policies');
  await cp(resolve(ROOT, 'policies'), policyDir, { recursive: true });
  const approvals = JSON.parse(await readFile(join(policyDir, 'approvals.json'), 'utf8'));
  approvals.fairUse.perInvestigator = { inquiriesPerDay: 1_000_000, subjectsPerDay: 10_000_000 };
  approvals.fairUse.perUnit = { inquiriesPerDay: 1_000_000, subjectsPerDay: 10_000_000 };
  await writeFile(join(policyDir, 'approvals.json'), JSON.stringify(approvals, null, 2));

  // Every listening port chosen at run time, so a soak runs beside `npm start` or another soak.
  const [port, consolePort, oidcPort] = [await freePort(), await freePort(), await freePort()];
  const gateway = `http://127.0.0.1:${port}`;
  const exits: ProcessExit[] = [];
  const restarts: { process: string; restart: number }[] = [];
  const failures: string[] = [];
  const latencies: number[] = [];
  const loads: number[] = [loadavg()[0]!];
  const sampling = setInterval(() => loads.push(loadavg()[0]!), 5_000);
  let memoryAtEnd: ProcessMemory[] = [];
  let cpu: SoakReport['cpu'] = null;
  const load: ChildProcess[] = [];
  const federation = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'scripts/start.ts')], {
    cwd: ROOT,
    env: { ...process.env, QIAO_HTTP_PORT: String(port), QIAO_METRICS_PORT: '0', QIAO_CONSOLE_PORT: String(consolePort), QIAO_OIDC_PORT: String(oidcPort), QIAO_PKI_DIR: join(work, 'pki'), QIAO_DATA_DIR: join(work, 'pglite'), QIAO_POLICY_DIR: policyDir, QIAO_LOG_LEVEL: 'warn', QIAO_RUN_DIR: work },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  /** The launcher's last lines, for when it stops before the federation is up. */
  const said: string[] = [];
  const up = new Promise<void>((ok, fail) => {
    const onLine = (line: string) => {
      said.push(line);
      if (said.length > 15) said.shift();
      if (/federation is up/.test(line)) ok();
      const exit = readExit(line);
      if (exit) {
        exits.push(exit);
        console.log(`  ! ${line}`);
      }
      const back = readRestart(line);
      if (back) restarts.push(back);
    };
    createInterface({ input: federation.stdout! }).on('line', onLine);
    createInterface({ input: federation.stderr! }).on('line', onLine);
    federation.once('exit', (code) => fail(new Error(`the federation stopped (code ${code}); the launcher's last lines:\n${said.join('\n')}`)));
  });
  let done = 0;
  let failed = 0;
  const started = Date.now();
  try {
    await up;
    console.log(`federation up at ${gateway}; ${COUNT} inquiries at concurrency ${CONCURRENCY}, ${CPU_LOAD} competing busy process(es)`);
    for (let i = 0; i < CPU_LOAD; i++) load.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
    // Each user signs with the key file the dev PKI wrote for them, as `qiao` does.
    const pkiDir = join(work, 'pki');
    const authorityJwk = await readAuthorityKey(join(pkiDir, 'directory'));
    const login = async (u: string) => {
      const signer = await readSigner({ pkiDir, username: u });
      const client = createApiClient({ baseUrl: gateway, token: (await devLogin(gateway, u)).token });
      const { unit } = await client.me();
      return withSigning(client, signer, { authorityJwk, recipient: (id) => readUnitKey(pkiDir, id), unitId: unit.id });
    };
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
          if (done + failed === warmUp && federation.pid !== undefined) warming = readCpu(federation.pid, done).then((r) => void (atWarm = r));
          if ((done + failed) % 250 === 0) console.log(`  ${done + failed}/${COUNT} (${failed} failed, ${exits.length} process exit(s)) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
        }
      }),
    );
    if (federation.pid !== undefined) {
      await warming;
      const warm = atWarm as CpuReading | null;
      if (warm) {
        const end = await readCpu(federation.pid, done);
        cpu = { inquiries: end.done - warm.done, seconds: (end.at - warm.at) / 1000, perInquiryMs: cpuPerInquiry(warm.seconds, end.seconds, end.done - warm.done) };
        console.log(`CPU ms per inquiry after the warm-up (${cpu.inquiries} inquiries, ${(cpu.inquiries / cpu.seconds).toFixed(1)}/s): ${cpu.perInquiryMs.map((x) => `${x.process} ${x.ms}`).join(', ')}`);
      }
      memoryAtEnd = await memoryOfFederation(federation.pid, join(work, 'logs'));
    }
  } finally {
    clearInterval(sampling);
    loads.push(loadavg()[0]!);
    for (const p of load) p.kill('SIGKILL');
    if (federation.exitCode === null && federation.signalCode === null) {
      const gone = new Promise((r) => federation.once('exit', r));
      federation.kill('SIGINT');
      await gone;
    }
    if (!keep) await rm(work, { recursive: true, force: true });
  }
  const s = (Date.now() - started) / 1000;
  const exitWords = exits.map((e) => `${e.process} (${e.how}) after ${e.afterSeconds} s`);
  console.log(`\nsoak: ${done} inquiries answered, ${failed} failed, in ${s.toFixed(0)} s (${(done / s).toFixed(1)}/s); ${exits.length} unexpected process exit(s)${exits.length ? `: ${exitWords.join(', ')}` : ''}`);
  if (keep) console.log(`logs of the federation: ${join(work, 'logs')}`);
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

/** Backends of the soak's database keep their pid for the pool's life: CPU seconds by pid, summed later. */
const backendsSeen = new Map<number, number>();

async function readCpu(launcher: number, done: number): Promise<CpuReading> {
  const seconds = await cpuOfFederation(launcher);
  const own = process.cpuUsage();
  seconds.set('client', (own.user + own.system) / 1e6);
  if (process.env.DATABASE_URL) {
    // The database's backends, where it runs on this machine (their /proc entries are readable).
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    try {
      await client.connect();
      const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()');
      for (const [pid, s] of await cpuSecondsOfPids(rows.map((r) => r.pid))) backendsSeen.set(pid, s);
    } catch {
      // no reading of the database's CPU: the rest stands
    } finally {
      await client.end().catch(() => {});
    }
  }
  if (backendsSeen.size) seconds.set('postgres', [...backendsSeen.values()].reduce((a, b) => a + b, 0));
  return { at: Date.now(), done, seconds };
}

main().catch((err: unknown) => {
  console.error(`soak: ${(err as Error).message}`);
  process.exit(1);
});
