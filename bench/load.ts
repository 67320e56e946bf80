/**
 * `npm run bench:load [-- --inquiries 200] [--processes]`: small inquiries through the whole federation on
 * PostgreSQL, as a client would send them (client/core over HTTP), sequentially and at
 * concurrency 1, 8 and 32; each a person asked of two departments (household from public
 * security, grassland contracts from natural resources), approved by one league approver, its
 * results decrypted and their receipts verified. Per step — submit, approve, parts done (the
 * event stream says so), results decrypted — p50/p95/p99, and inquiries/s; per inquiry the SQL
 * statements and write transactions the gateway's pool sent (counted at pg.Client#query) and the CPU time of
 * this process (the whole federation and its clients: process.cpuUsage). In the same run,
 * for scale: raw mutual-TLS gRPC unary calls/s and raw PostgreSQL commits/s on this machine.
 *
 * The federation as the tests boot it (tests/harness/federation.ts: gateway and demo adapters in
 * this process, on loopback mTLS; demo users sign with their dev keys) — or, with `--processes`, as
 * `npm start` runs it (bench/federation-process.ts: the gateway and each adapter a process of its
 * own, sharing the machine's cores with PostgreSQL and this client process). Then the statements
 * are not counted (they are sent by another process) and CPU is read per process from /proc:
 * the gateway, the database's backends, the adapters, this client. PostgreSQL from QIAO_BENCH_DATABASE_URL or TEST_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/test); a fresh database is created and dropped.
 */
// The gateway runs in this process: with its V8 settings, as main.ts applies them (a run without
// them aborted once in Deoptimizer::DoComputeBuiltinContinuation on a loaded machine).
import '../gateway/runtime-flags';
import { useNodeEdDSA } from '../proto/node/eddsa';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Command } from 'commander';
import pg from 'pg';
import type { JWK } from 'jose';
import type { ApiClient } from '../client/core/api-client';
import { bootFederation } from '../tests/harness/federation';
import { ensureDevPki, type DevPki } from '../certs-dev/pki';
import { kept, startProcessFederation } from './federation-process';
import { freshDatabase } from '../gateway/db/testing';
import { cpuPerInquiry } from './soak-report';
import { fetchAndDecrypt, waitForResults, type ReceiptKeyLookup } from '../client/core/results';
import { directoryReceiptKeys } from '../client/cli/directory-keys';
import { DepartmentClient, DepartmentService, type DepartmentHandlers } from '../proto/grpc/department';
import { departmentHostname } from '../proto/identity';
import { NODE_ENVELOPE, nodeSha256 } from '../proto/node/primitives';

// As the gateway, the adapters and the command line do (each process's entry): node:crypto's EdDSA.
useNodeEdDSA();

const ROOT = resolve(import.meta.dirname, '..');
const LI = '150627196803120034';

process.env.TEST_DATABASE_URL = process.env.QIAO_BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const opts = new Command('bench:load')
  .option('--inquiries <n>', 'inquiries per concurrency level', '160')
  .option('--levels <list>', 'concurrency levels', '1,8,32')
  .option('--statements', 'also print the SQL statements per inquiry of each level, most frequent first')
  .option('--cpu-profile <dir>', "write this process's CPU profile of the measured levels (gateway, adapters and clients: all run here) to <dir> as a .cpuprofile (Chrome DevTools, speedscope)")
  .option('--skip-baselines', 'skip the raw mTLS gRPC and PostgreSQL commit baselines (about 8 s)')
  .option('--processes', 'the federation as npm start runs it, each part a process of its own (CPU per process instead of statement counts)')
  .option('--warm-up <n>', 'unmeasured inquiries before each level (at its concurrency), so the code measured is the optimised code a long-running gateway runs (default 200, and at least 2 × the concurrency)', '200')
  .option('--step-cpu', "also print the CPU time of each step at concurrency 1 (this process's: client, gateway and adapters; not PostgreSQL's)")
  .parse()
  .opts<{ inquiries: string; levels: string; statements?: boolean; cpuProfile?: string; skipBaselines?: boolean; processes?: boolean; stepCpu?: boolean; warmUp: string }>();
if (opts.processes && (opts.statements || opts.cpuProfile || opts.stepCpu)) {
  console.error('bench:load: --statements, --cpu-profile and --step-cpu count and profile this process, which with --processes holds only the clients; use QIAO_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR" to profile the federation\'s processes');
  process.exit(2);
}
const perLevel = Number(opts.inquiries);
const levels = opts.levels.split(',').map(Number);

// ---- counting what the gateway asks of PostgreSQL ----------------------------------------------
const counts = { queries: 0, commits: 0 };
const statements = new Map<string, number>();
const originalQuery = pg.Client.prototype.query;
/** Connections inside BEGIN … COMMIT. */
const inTransaction = new WeakSet<pg.Client>();
/** A statement that writes (the gateway's: INSERT, UPDATE, DELETE, a data-modifying WITH, COPY … FROM, an audit append). */
const WRITES = /^\s*(insert|update|delete|with|copy\s+\S+(\s*\([^)]*\))?\s+from)\b|qiao_audit_append/i;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  counts.queries++;
  const first = args[0];
  const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text;
  // Write transactions: each COMMIT, and each writing statement outside BEGIN … COMMIT (it commits on its own).
  if (text && /^\s*begin\b/i.test(text)) inTransaction.add(this);
  else if (text && /^\s*(commit|rollback)\b/i.test(text)) {
    inTransaction.delete(this);
    if (/^\s*commit\b/i.test(text)) counts.commits++;
  } else if (text && !inTransaction.has(this) && WRITES.test(text)) counts.commits++;
  if (opts.statements && text) {
    const shape = statementShape(text);
    statements.set(shape, (statements.get(shape) ?? 0) + 1);
  }
  return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pg.Client.prototype.query;

/**
 * A statement with its literals replaced by `?`: quoted strings, uuids and numbers (not the `$n`
 * of a parameter), so one statement sent with ids spelled into its text (an advisory lock's key,
 * drizzle's `sql.raw`, a LISTEN) counts as one line, not one per id.
 */
function statementShape(text: string): string {
  return text
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '?')
    .replace(/(?<![$\w])-?\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 160);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));

// ---- the federation -----------------------------------------------------------------------------

async function policiesWithoutFairUseLimits(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'qiao-bench-policies-'));
  await cp(join(ROOT, 'policies'), dir, { recursive: true });
  const approvals = JSON.parse(await readFile(join(dir, 'approvals.json'), 'utf8')) as { fairUse: Record<string, unknown> };
  approvals.fairUse.perInvestigator = { inquiriesPerDay: 1_000_000, subjectsPerDay: 1_000_000 };
  approvals.fairUse.perUnit = { inquiriesPerDay: 1_000_000, subjectsPerDay: 1_000_000 };
  await writeFile(join(dir, 'approvals.json'), JSON.stringify(approvals));
  return dir;
}

type Step = 'submit' | 'approve' | 'parts done' | 'results decrypted' | 'end to end';
const STEPS: Step[] = ['submit', 'approve', 'parts done', 'results decrypted', 'end to end'];

/** What a level drives: the two users' clients, the unit's key and the directory's receipt keys. */
interface Target {
  investigator: ApiClient;
  approver: ApiClient;
  privateKey: JWK;
  receiptKeys: ReceiptKeyLookup;
  /** CPU seconds so far by process (with --processes), or of this process. */
  readCpu(): Promise<Map<string, number>>;
}

/** A reading of process.cpuUsage (user and system) in milliseconds. */
const cpuMs = (used: NodeJS.CpuUsage) => (used.user + used.system) / 1000;

async function oneInquiry(t: Target, n: number, stepCpu?: Record<Step, number[]>): Promise<Record<Step, number>> {
  const { investigator, approver } = t;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const submitted = await investigator.submitInquiry({
    caseReference: `LOAD-${n}`,
    legalBasis: 'Supervision Law art. 18',
    purpose: 'load benchmark',
    subjects: [{ kind: 'person', id: LI }],
    categories: ['household', 'grassland_contracts'],
  });
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  await approver.approve(submitted.id, { comment: 'approved' });
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  const listing = await waitForResults(investigator, submitted.id, 120_000);
  const t3 = performance.now();
  const c3 = process.cpuUsage();
  if (listing.status !== 'completed') throw new Error(`inquiry ${submitted.id} ended ${listing.status}: ${JSON.stringify(listing.results.map((r) => r.failureReason))}`);
  // Decrypted as `qiao results` does: node:crypto's frame cipher and SHA-256, one department after the other.
  for (const summary of listing.results) await fetchAndDecrypt(investigator, submitted.id, summary, { privateKey: t.privateKey, receiptKeys: t.receiptKeys, envelope: NODE_ENVELOPE, createSha256: nodeSha256 });
  const t4 = performance.now();
  if (stepCpu) {
    const c4 = process.cpuUsage();
    const cpu: Record<Step, number> = { submit: cpuMs(c1) - cpuMs(c0), approve: cpuMs(c2) - cpuMs(c1), 'parts done': cpuMs(c3) - cpuMs(c2), 'results decrypted': cpuMs(c4) - cpuMs(c3), 'end to end': cpuMs(c4) - cpuMs(c0) };
    for (const step of STEPS) stepCpu[step].push(cpu[step]);
  }
  return { submit: t1 - t0, approve: t2 - t1, 'parts done': t3 - t2, 'results decrypted': t4 - t3, 'end to end': t4 - t0 };
}

async function runLevel(t: Target, concurrency: number, total: number) {
  // Warm up (connections, caches, and V8's tiers: sequential latency falls by about a fifth over
  // the first few hundred inquiries of a fresh process, in process and as processes alike).
  const warmUp = Math.max(Number(opts.warmUp), 2 * concurrency);
  let warmed = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, warmUp) }, async () => { while (warmed < warmUp) await oneInquiry(t, -1 - warmed++); }));
  const before = { ...counts };
  statements.clear();
  const cpuBefore = await t.readCpu();
  const samples: Record<Step, number>[] = [];
  // Only one at a time do the steps' CPU times not overlap.
  const stepCpu = opts.stepCpu && concurrency === 1 ? (Object.fromEntries(STEPS.map((s) => [s, []])) as unknown as Record<Step, number[]>) : undefined;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) samples.push(await oneInquiry(t, next++, stepCpu));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const byProcess = cpuPerInquiry(cpuBefore, await t.readCpu(), total);
  const per = (k: keyof typeof counts) => (counts[k] - before[k]) / total;
  const stats = Object.fromEntries(
    STEPS.map((step) => {
      const sorted = samples.map((s) => s[step]).sort((a, b) => a - b);
      return [step, { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99) }];
    }),
  ) as Record<Step, { p50: number; p95: number; p99: number }>;
  const top = [...statements].sort((a, b) => b[1] - a[1]).map(([text, n]) => `${(n / total).toFixed(2).padStart(6)}  ${text}`);
  const cpuOf = (name: string) => byProcess.filter((x) => x.process === name || (name === 'adapters' && !['gateway', 'postgres', 'client'].includes(x.process))).reduce((a, b) => a + b.ms, 0);
  return {
    concurrency,
    total,
    stepCpu,
    rate: total / seconds,
    stats,
    top,
    queries: per('queries'),
    commits: per('commits'),
    cpuMs: byProcess.reduce((a, b) => a + b.ms, 0),
    cpu: { gateway: cpuOf('gateway'), postgres: cpuOf('postgres'), adapters: cpuOf('adapters'), client: cpuOf('client') },
  };
}

// ---- the baselines ----------------------------------------------------------------------------

/** Unary Describe calls over mutual TLS, at the given concurrency, for `ms`. */
async function rawGrpcUnary(pki: DevPki, concurrency: number, ms: number): Promise<number> {
  const { cert, key } = pki.departments.public_security!;
  const server = new grpc.Server();
  const handlers: Partial<DepartmentHandlers> = { describe: (_c, cb) => cb(null, { department: 'public_security', displayName: 'raw', categories: [] }) };
  server.addService(DepartmentService, handlers as DepartmentHandlers);
  const port = await new Promise<number>((ok, fail) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createSsl(Buffer.from(pki.caCert), [{ cert_chain: Buffer.from(cert), private_key: Buffer.from(key) }], true), (err, p) => (err ? fail(err) : ok(p))),
  );
  const gw = pki.gatewayClient;
  const client = new DepartmentClient(`127.0.0.1:${port}`, grpc.credentials.createSsl(Buffer.from(pki.caCert), Buffer.from(gw.key), Buffer.from(gw.cert)), {
    'grpc.ssl_target_name_override': departmentHostname('public_security'),
  });
  const call = () => new Promise<void>((ok, fail) => client.describe({}, (err: Error | null) => (err ? fail(err) : ok())));
  await call();
  let calls = 0;
  const until = performance.now() + ms;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => { while (performance.now() < until) { await call(); calls++; } }));
  const rate = calls / ((performance.now() - started) / 1000);
  client.close();
  await new Promise<void>((ok) => server.tryShutdown(() => ok()));
  return rate;
}

/** Small write transactions (BEGIN; INSERT; COMMIT), at the given concurrency, for `ms`. */
async function rawPostgresCommits(url: string, concurrency: number, ms: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: url, max: concurrency });
  await pool.query('create table if not exists bench_commits (id bigserial primary key, at timestamptz not null default now(), note text)');
  let commits = 0;
  const until = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      const c = await pool.connect();
      try {
        while (performance.now() < until) {
          await c.query('begin');
          await c.query('insert into bench_commits (note) values ($1)', ['x']);
          await c.query('commit');
          commits++;
        }
      } finally {
        c.release();
      }
    }),
  );
  const rate = commits / ((performance.now() - started) / 1000);
  await pool.query('drop table bench_commits');
  await pool.end();
  return rate;
}

// ---- run ----------------------------------------------------------------------------------------

const LI_UNIT = '150627';
const target = opts.processes ? await processTarget() : await inProcessTarget();
try {
  const baseline = opts.skipBaselines
    ? null
    : {
        grpc1: await rawGrpcUnary(target.pki, 1, 2000),
        grpc32: await rawGrpcUnary(target.pki, 32, 2000),
        pg1: await rawPostgresCommits(target.databaseUrl, 1, 2000),
        pg8: await rawPostgresCommits(target.databaseUrl, 8, 2000),
      };
  const profiler = opts.cpuProfile ? await startCpuProfile() : null;
  const results: Awaited<ReturnType<typeof runLevel>>[] = [];
  for (const level of levels) results.push(await runLevel(target, level, perLevel));
  if (profiler) console.log(`CPU profile written to ${await profiler.stop(opts.cpuProfile!)}`);

  console.log(`\nmachine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, PostgreSQL at ${target.databaseUrl.replace(/\/\/[^@]*@/, '//')}`);
  console.log(`federation: ${opts.processes ? 'as npm start runs it (gateway, each adapter and this client a process of its own)' : 'in this process (gateway, adapters and clients), as the tests boot it'}`);
  console.log(`load average (1, 5, 15 min): ${loadavg().map((n) => n.toFixed(2)).join(', ')}`);
  if (baseline) {
    console.log(`raw mTLS gRPC unary calls/s: ${fmt(baseline.grpc1)} (1 at a time), ${fmt(baseline.grpc32)} (32 at a time)`);
    console.log(`raw PostgreSQL commits/s (BEGIN; INSERT; COMMIT): ${fmt(baseline.pg1)} (1 connection), ${fmt(baseline.pg8)} (8 connections)`);
  }
  console.log('');
  const counted = opts.processes
    ? { head: 'CPU ms / inquiry: gateway / postgres / adapters / client', row: (r: (typeof results)[number]) => `${fmt(r.cpu.gateway)} / ${fmt(r.cpu.postgres)} / ${fmt(r.cpu.adapters)} / ${fmt(r.cpu.client)}` }
    : { head: 'SQL statements / inquiry | write transactions / inquiry | CPU ms / inquiry', row: (r: (typeof results)[number]) => `${fmt(r.queries)} | ${fmt(r.commits)} | ${fmt(r.cpuMs)}` };
  const columns = counted.head.split(' | ').length;
  console.log(`| concurrency | inquiries | inquiries/s | ${counted.head} | ` + STEPS.map((s) => `${s} p50 / p95 / p99 ms`).join(' | ') + ' |');
  console.log(`|---|---|---|${'---|'.repeat(columns)}` + STEPS.map(() => '---').join('|') + '|');
  for (const r of results) {
    console.log(
      `| ${r.concurrency} | ${r.total} | ${fmt(r.rate)} | ${counted.row(r)} | ` +
        STEPS.map((s) => `${fmt(r.stats[s].p50)} / ${fmt(r.stats[s].p95)} / ${fmt(r.stats[s].p99)}`).join(' | ') +
        ' |',
    );
  }
  for (const r of results) {
    if (!r.stepCpu) continue;
    const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);
    console.log(`\nCPU ms per step at concurrency 1, median (this process: client, gateway and adapters; PostgreSQL not counted): ` + STEPS.map((s) => `${s} ${fmt(median(r.stepCpu![s]))}`).join(', '));
  }
  if (opts.statements) for (const r of results) console.log(`\nSQL statements per inquiry at concurrency ${r.concurrency}:\n${r.top.join('\n')}`);
} catch (err) {
  await target.onFailure();
  throw err;
} finally {
  await target.close();
}

/** The published receipt keys read once per department, as a long-running client holds them (see `kept`). */
function keptReceiptKeys(lookup: ReceiptKeyLookup): ReceiptKeyLookup {
  const cache = new Map<string, ReturnType<ReceiptKeyLookup>>();
  return (department) => kept(cache, department, () => lookup(department));
}

/** The federation in this process (tests/harness/federation.ts). */
async function inProcessTarget() {
  const policyDir = await policiesWithoutFairUseLimits();
  const fed = await bootFederation({ env: { QIAO_POLICY_DIR: policyDir }, logLevel: 'warn' });
  return {
    investigator: await fed.as('inv.ejinhoro'),
    approver: await fed.as('appr.ordos'),
    privateKey: fed.pki.units[LI_UNIT]!.privateJwk,
    receiptKeys: keptReceiptKeys(directoryReceiptKeys(join(fed.pki.dir, 'directory'))),
    async readCpu() {
      const own = process.cpuUsage();
      return new Map([['federation and clients', (own.user + own.system) / 1e6]]);
    },
    pki: fed.pki,
    databaseUrl: await currentDatabaseUrl(fed.gateway.database.db),
    async onFailure() {
      // What the gateway said about it: its errors, not only the client's opaque 500.
      const errors = fed.gatewayLogs.filter((line) => /"level":(50|60)/.test(line)).slice(-5);
      if (errors.length) console.error(`the gateway's last errors:\n${errors.join('')}`);
    },
    async close() {
      await fed.close();
      await rm(policyDir, { recursive: true, force: true });
    },
  };
}

/** The federation as npm start runs it (bench/federation-process.ts), on a fresh database dropped at the end. */
async function processTarget() {
  const database = await freshDatabase(process.env.TEST_DATABASE_URL!, 'qiao_load');
  const work = await mkdtemp(join(tmpdir(), 'qiao-load-'));
  let fed;
  try {
    fed = await startProcessFederation({ work, databaseUrl: database.url });
  } catch (err) {
    await database.drop().catch(() => {});
    await rm(work, { recursive: true, force: true });
    throw err;
  }
  const f = fed;
  // For the raw gRPC baseline only: a PKI of its own, so nothing of the federation's is touched.
  const basePki = await ensureDevPki({ dir: join(work, 'baseline-pki'), departments: ['public_security'], units: [], signers: [] });
  return {
    investigator: await f.login('inv.ejinhoro'),
    approver: await f.login('appr.ordos'),
    privateKey: JSON.parse(await readFile(join(f.pkiDir, 'units', LI_UNIT, 'encryption.jwk'), 'utf8')) as JWK,
    receiptKeys: keptReceiptKeys(directoryReceiptKeys(join(f.pkiDir, 'directory'))),
    readCpu: () => f.readCpu(),
    pki: basePki,
    databaseUrl: database.url,
    async onFailure() {
      console.error(`the federation's logs: ${f.logDir} (kept)`);
    },
    async close() {
      await f.stop();
      await database.drop();
      if (!process.exitCode) await rm(work, { recursive: true, force: true });
    },
  };
}

/**
 * Profiles this process from now until `stop`, which writes the profile into `dir` and returns
 * its path. The gateway runs in this process (with the adapters and the clients), so its frames
 * are those under gateway/.
 */
async function startCpuProfile(): Promise<{ stop(dir: string): Promise<string> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(dir) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await mkdir(dir, { recursive: true });
      const file = join(resolve(dir), `load-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
      await writeFile(file, JSON.stringify(profile));
      return file;
    },
  };
}

/** The URL of the fresh database the federation's gateway uses. */
async function currentDatabaseUrl(db: { execute(query: string): Promise<unknown> }): Promise<string> {
  const { rows } = (await db.execute('select current_database() as name')) as unknown as { rows: { name: string }[] };
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${rows[0]!.name}`;
  return url.toString();
}
