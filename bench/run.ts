/**
 * `npm run bench [-- --transactions 3600000]`: end-to-end encrypted throughput of one large
 * answer (the demo bank's Muhudunbao cooperative, ≈ 1 GB at the default) against a raw gRPC
 * stream of the same number of bytes over the same mTLS setup in this process, and the gateway's
 * peak memory. Processes as in `npm start`: the bank adapter and the command line are child
 * processes; the gateway runs in this process, so its memory is what is sampled here.
 *
 * Uses PostgreSQL when QIAO_BENCH_DATABASE_URL or TEST_DATABASE_URL names a server (a fresh
 * database is created and dropped); otherwise PGlite, which stores bytea at a few MB/s — then
 * the default size is 50 MB. Then, with the federation stopped (so it neither competes for the
 * CPU nor weighs on the memory figures), the contract's cryptography on WebCrypto and
 * @noble/hashes against node:crypto (bench/crypto.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { Command } from 'commander';
import { pino } from 'pino';
import { DEMO_USERS } from '../demo/users';
import { withSigning } from '../client/core/signing';
import { ensureDevPki } from '../certs-dev/pki';
import { createApiClient } from '../client/core/api-client';
import { waitForResults } from '../client/core/results';
import { devLogin } from '../client/core/session';
import { parseConfig } from '../gateway/config';
import { openTestDatabase } from '../gateway/db/testing';
import { DEMO_UNITS } from '../demo/units';
import { startGateway } from '../gateway/server';
import { DepartmentClient, DepartmentService, type DepartmentHandlers } from '../proto/grpc/department';
import { departmentHostname } from '../proto/identity';
import { formatCryptoFigures, runCryptoBench } from './crypto';

const ROOT = resolve(import.meta.dirname, '..');
const COOPERATIVE = '93150627MA0N2K7P26';

const dbUrl = process.env.QIAO_BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (dbUrl) process.env.TEST_DATABASE_URL = dbUrl;
const opts = new Command('bench')
  .option('--transactions <n>', 'transactions in the answer', dbUrl ? '3400000' : '180000')
  .parse()
  .opts<{ transactions: string }>();
const transactions = Number(opts.transactions);

const mib = (bytes: number) => bytes / 1048576;
const fmt = (n: number, d = 0) => n.toFixed(d);

/** Peak RSS and heap of this process, sampled every 20 ms while `run` runs, and the CPU seconds it used meanwhile. */
async function sampled<T>(run: () => Promise<T>): Promise<{ value: T; rss: number; heap: number; cpu: number }> {
  const cpuBefore = process.cpuUsage();
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 20);
  try {
    const value = await run();
    sample();
    const used = process.cpuUsage(cpuBefore);
    return { value, rss, heap, cpu: (used.user + used.system) / 1e6 };
  } finally {
    clearInterval(timer);
  }
}

/** The same bytes over a bare Department.Execute stream: 64 KiB chunks, no data source, no crypto, no database. */
async function rawGrpc(pki: Awaited<ReturnType<typeof ensureDevPki>>, bytes: number): Promise<number> {
  const server = new grpc.Server();
  const chunk = Buffer.alloc(64 * 1024, 7);
  const handlers: DepartmentHandlers = {
    describe: (_c, cb) => cb(null, { department: 'bank', displayName: 'raw', categories: [] }),
    execute: async (call) => {
      for (let sent = 0; sent < bytes; sent += chunk.length) {
        if (!call.write({ chunk: chunk.subarray(0, Math.min(chunk.length, bytes - sent)) })) await new Promise((r) => call.once('drain', r));
      }
      call.end();
    },
  };
  server.addService(DepartmentService, handlers);
  const creds = grpc.ServerCredentials.createSsl(Buffer.from(pki.caCert), [{ cert_chain: Buffer.from(pki.departments.bank!.cert), private_key: Buffer.from(pki.departments.bank!.key) }], true);
  const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? rej(e) : res(p))));
  const client = new DepartmentClient(`127.0.0.1:${port}`, grpc.credentials.createSsl(Buffer.from(pki.caCert), Buffer.from(pki.gatewayClient.key), Buffer.from(pki.gatewayClient.cert)), {
    'grpc.ssl_target_name_override': departmentHostname('bank'),
    'grpc-node.flow_control_window': 4 * 1024 * 1024,
  });
  const started = performance.now();
  let received = 0;
  for await (const frame of client.execute({ warrant: 'raw' })) received += (frame as { chunk?: Uint8Array }).chunk?.length ?? 0;
  const seconds = (performance.now() - started) / 1000;
  client.close();
  server.forceShutdown();
  if (received !== bytes) throw new Error(`raw stream delivered ${received} of ${bytes} bytes`);
  return seconds;
}

/**
 * CPU seconds a child process has used so far, from Linux's /proc (user + system, in USER_HZ
 * ticks, 100 a second); null elsewhere. On a shared machine CPU time is the figure that other
 * processes' load hardly moves; wall time stretches with it.
 */
async function childCpuSeconds(pid: number | undefined): Promise<number | null> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

function startBankAdapter(pkiDir: string): Promise<{ port: number; stop: () => void; cpuSeconds: () => Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'adapters/main.ts', '--department', 'bank', '--port', '0', '--pki-dir', pkiDir,
    '--served-log', join(pkiDir, 'served.ndjson'), '--demo-volume', String(transactions)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((res, rej) => {
    createInterface({ input: child.stdout! }).once('line', (line) => {
      const port = Number(/:(\d+)$/.exec(line)?.[1]);
      if (!port) rej(new Error(`unexpected adapter output: ${line}`));
      res({ port, stop: () => child.kill('SIGTERM'), cpuSeconds: () => childCpuSeconds(child.pid) });
    });
    child.once('exit', (code) => rej(new Error(`bank adapter exited with ${code}`)));
  });
}

/** `qiao results` as a child process, NDJSON to a pipe: returns seconds and the records and bytes it printed. */
function runCli(gatewayUrl: string, pkiDir: string, inquiryId: string): Promise<{ seconds: number; lines: number; maxRssKb: number; cpuSeconds: number }> {
  const started = performance.now();
  // ./qiao as users run it (the built command line); the peak-memory and CPU report rides in on NODE_OPTIONS.
  const report = `process.on('exit', () => { const u = process.resourceUsage(); process.stderr.write('MAXRSS ' + u.maxRSS + ' CPU ' + (u.userCPUTime + u.systemCPUTime) + '\\n'); });`;
  const nodeOptions = [`--import=data:text/javascript,${encodeURIComponent(report)}`, ...(process.env.BENCH_CLI_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CLI_PROF}`] : [])];
  const child = spawn(join(ROOT, 'qiao'),
    ['--gateway', gatewayUrl, '--as', 'inv.ejinhoro', '--pki-dir', pkiDir, '--state-dir', join(pkiDir, 'cli-state'), 'results', inquiryId, '--format', 'ndjson'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS ?? '', ...nodeOptions].join(' ').trim() } });
  let lines = 0;
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => {
    for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) lines++;
  });
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((res, rej) =>
    child.once('exit', (code) => {
      if (code !== 0) return rej(new Error(`qiao results exited with ${code}: ${stderr}`));
      res({ seconds: (performance.now() - started) / 1000, lines, maxRssKb: Number(/MAXRSS (\d+)/.exec(stderr)?.[1] ?? 0), cpuSeconds: Number(/ CPU (\d+)/.exec(stderr)?.[1] ?? 0) / 1e6 });
    }),
  );
}

const dir = await mkdtemp(join(tmpdir(), 'qiao-bench-'));
const pki = await ensureDevPki({ dir, departments: ['bank'], units: DEMO_UNITS.map((u) => u.id), signers: DEMO_USERS });
const adapter = await startBankAdapter(dir);
const database = await openTestDatabase();
const config = parseConfig({
  QIAO_MODE: 'development', QIAO_HTTP_PORT: '0', QIAO_PKI_DIR: dir,
  QIAO_DEPARTMENTS: `bank=127.0.0.1:${adapter.port}`,
  QIAO_CALL_DEADLINE: '10m',
});
const gateway = await startGateway({ config, logger: pino({ level: 'warn' }), database, seedDemo: true });
try {
  // Each demo user signs with their dev key, as `qiao` does.
  const as = async (u: string) => {
    const client = createApiClient({ baseUrl: gateway.url, token: (await devLogin(gateway.url, u)).token });
    const signer = pki.signers[u]!;
    const recipient = async (unit: string) => ({ unit, key: pki.units[unit]!.publicJwk, certificate: pki.units[unit]!.keyCertificate });
    return withSigning(client, signer, { authorityJwk: pki.directoryAuthority.publicJwk, recipient, unitId: signer.claims.unit });
  };
  const investigator = await as('inv.ejinhoro');
  const { id } = await investigator.submitInquiry({
    caseReference: 'BENCH-1', legalBasis: 'Supervision Law art. 18', purpose: 'benchmark',
    subjects: [{ kind: 'organisation', id: COOPERATIVE }], categories: ['bank_transactions'],
  });
  for (const approver of ['appr.ordos', 'appr.region', 'appr2.region']) {
    const d = await (await as(approver)).approve(id, { comment: 'bench' });
    if (d.status !== 'pending_approval') break;
  }
  global.gc?.();
  const stored = await sampled(async () => {
    const t = performance.now();
    const listing = await waitForResults(investigator, id, 3_600_000);
    return { seconds: (performance.now() - t) / 1000, summary: listing.results[0]! };
  });
  const { summary } = stored.value;
  if (summary.status !== 'succeeded') throw new Error(`bank part ${summary.status}: ${summary.failureReason}`);
  const bytes = summary.bytes!;
  const adapterCpu = await adapter.cpuSeconds();
  const download = await sampled(() => runCli(gateway.url, dir, id));
  if (download.value.lines !== transactions) throw new Error(`the command line printed ${download.value.lines} records, expected ${transactions}`);
  const raw = await rawGrpc(pki, bytes);

  const total = stored.value.seconds + download.value.seconds;
  const rows = [
    ['raw gRPC stream, same bytes, same mTLS, this process', fmt(raw, 1), fmt(mib(bytes) / raw)],
    ['bank adapter → gateway (generate, encrypt, stream, store)', fmt(stored.value.seconds, 1), fmt(mib(bytes) / stored.value.seconds)],
    ['gateway → `qiao results` (download, verify, decrypt, NDJSON)', fmt(download.value.seconds, 1), fmt(mib(bytes) / download.value.seconds)],
    ['end to end (sum of the two)', fmt(total, 1), fmt(mib(bytes) / total)],
  ];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\nresult: ${transactions} transactions, ${fmt(mib(bytes))} MiB ciphertext (${summary.records} records), database: ${dbUrl ? 'PostgreSQL' : 'PGlite'}`);
  console.log(`machine: ${cpus().length} CPUs (${cpu}), node ${process.version}\n`);
  console.log('| path | seconds | MiB/s |\n|---|---:|---:|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\n| gateway process peak | RSS MiB | heap MiB |\n|---|---:|---:|`);
  console.log(`| while receiving and storing | ${fmt(mib(stored.rss))} | ${fmt(mib(stored.heap))} |`);
  console.log(`| while serving the download | ${fmt(mib(download.rss))} | ${fmt(mib(download.heap))} |`);
  console.log(`\ncommand line peak RSS: ${fmt(download.value.maxRssKb / 1024)} MiB`);
  console.log('\n| CPU seconds (other load on the machine stretches wall time, hardly this) | adapter | gateway | command line |\n|---|---:|---:|---:|');
  console.log(`| bank adapter → gateway | ${adapterCpu === null ? '?' : fmt(adapterCpu, 1)} | ${fmt(stored.cpu, 1)} | |`);
  console.log(`| gateway → \`qiao results\` | | ${fmt(download.cpu, 1)} | ${fmt(download.value.cpuSeconds, 1)} |`);
} finally {
  await gateway.close();
  adapter.stop();
  await database.close();
  await rm(dir, { recursive: true, force: true });
}

console.log(`\n${formatCryptoFigures(await runCryptoBench())}`);
