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
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { Command } from 'commander';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { pino } from 'pino';
import { DEMO_USERS } from '../demo/users';
import { withSigning } from '../client/core/signing';
import { ensureDevPki } from '../certs-dev/pki';
import { createApiClient } from '../client/core/api-client';
import { waitForResults } from '../client/core/results';
import { devLogin } from '../client/core/session';
import { parseConfig } from '../gateway/config';
import type { Db } from '../gateway/db/client';
import { openTestDatabase } from '../gateway/db/testing';
import { copyPool } from '../gateway/services/result/chunk-copy';
import { DEMO_UNITS } from '../demo/units';
import { startGateway } from '../gateway/server';
import { DepartmentClient, DepartmentService, type DepartmentHandlers } from '../proto/grpc/department';
import { departmentHostname } from '../proto/identity';
import { formatCompressionFigures, runCompressionBench, type CompressionFigure } from './compress';
import { formatCryptoFigures, runCryptoBench, type CryptoFigure } from './crypto';

const ROOT = resolve(import.meta.dirname, '..');
const COOPERATIVE = '93150627MA0N2K7P26';

const dbUrl = process.env.QIAO_BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (dbUrl) process.env.TEST_DATABASE_URL = dbUrl;
const opts = new Command('bench')
  .option('--transactions <n>', 'transactions in the answer', dbUrl ? '3400000' : '180000')
  .option('--source-threads <n>', "the bank adapter's --source-threads (default: the adapter's own)")
  .parse()
  .opts<{ transactions: string; sourceThreads?: string }>();
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
 * PostgreSQL binary COPY alone, into and out of a table of result_chunks' shape (its columns and
 * primary key): the same number of bytes in rows of one frame each (64 KiB + 20), one COPY each
 * way, no parsing on the way out. The seconds of each, or null on PGlite, which has no COPY from
 * a client.
 */
async function rawCopy(db: Db, bytes: number): Promise<{ copyIn: number; copyOut: number } | null> {
  const pool = copyPool(db);
  if (!pool) return null;
  const client = await pool.connect();
  try {
    await client.query('CREATE TABLE bench_raw_chunks (LIKE result_chunks INCLUDING ALL)');
    const data = randomBytes(65_556);
    const part = Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
    const warrant = Buffer.from(randomUUID());
    const row = (seq: number, length: number) => {
      const head = Buffer.alloc(2 + 4 + 16 + 4 + warrant.length + 4 + 4 + 4);
      let at = head.writeInt16BE(4, 0);
      at = head.writeInt32BE(16, at);
      at += part.copy(head, at);
      at = head.writeInt32BE(warrant.length, at);
      at += warrant.copy(head, at);
      at = head.writeInt32BE(4, at);
      at = head.writeInt32BE(seq, at);
      head.writeInt32BE(length, at);
      return [head, data.subarray(0, length)];
    };
    let started = performance.now();
    const into = client.query(copyFrom('COPY bench_raw_chunks (part_id, warrant_id, seq, data) FROM STDIN (FORMAT binary)'));
    const written = new Promise<void>((res, rej) => into.once('finish', res).once('error', rej));
    const write = async (piece: Buffer) => {
      if (!into.write(piece)) await new Promise((r) => into.once('drain', r));
    };
    await write(Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]));
    for (let seq = 0, sent = 0; sent < bytes; seq++) {
      const length = Math.min(data.length, bytes - sent);
      for (const piece of row(seq, length)) await write(piece);
      sent += length;
    }
    into.end(Buffer.from([0xff, 0xff]));
    await written;
    const copyIn = (performance.now() - started) / 1000;
    started = performance.now();
    let received = 0;
    for await (const chunk of client.query(copyTo('COPY (SELECT seq, data FROM bench_raw_chunks ORDER BY part_id, warrant_id, seq) TO STDOUT (FORMAT binary)')) as AsyncIterable<Buffer>) received += chunk.length;
    const copyOut = (performance.now() - started) / 1000;
    if (received < bytes) throw new Error(`COPY out delivered ${received} bytes, fewer than the ${bytes} stored`);
    await client.query('DROP TABLE bench_raw_chunks');
    return { copyIn, copyOut };
  } finally {
    client.release();
  }
}

/**
 * CPU seconds a child process has used so far, from Linux's /proc (user + system, in USER_HZ
 * ticks, 100 a second); null elsewhere. On a shared machine CPU time is the figure that other
 * processes' load hardly moves; wall time stretches with it.
 */
async function childCpuSeconds(pid: number | undefined, thread?: number): Promise<number | null> {
  try {
    const fields = (await readFile(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8')).replace(/^.*\) /, '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

function startBankAdapter(pkiDir: string): Promise<{ port: number; stop: () => void; cpuSeconds: () => Promise<{ all: number; main: number } | null> }> {
  const prof = process.env.BENCH_ADAPTER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_ADAPTER_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'adapters/main.ts', '--department', 'bank', '--port', '0', '--pki-dir', pkiDir,
    '--served-log', join(pkiDir, 'served.ndjson'), '--demo-volume', String(transactions), ...(opts.sourceThreads ? ['--source-threads', opts.sourceThreads] : [])], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((res, rej) => {
    createInterface({ input: child.stdout! }).once('line', (line) => {
      const port = Number(/:(\d+)$/.exec(line)?.[1]);
      if (!port) rej(new Error(`unexpected adapter output: ${line}`));
      res({ port, stop: () => child.kill(prof.length ? 'SIGINT' : 'SIGTERM'), cpuSeconds: async () => {
        const [all, main] = await Promise.all([childCpuSeconds(child.pid), childCpuSeconds(child.pid, child.pid)]);
        return all === null || main === null ? null : { all, main };
      } });
    });
    child.once('exit', (code) => rej(new Error(`bank adapter exited with ${code}`)));
  });
}

/** `qiao results` as a child process, NDJSON to a pipe: returns seconds and the records and bytes it printed. */
function runCli(gatewayUrl: string, pkiDir: string, inquiryId: string): Promise<{ seconds: number; lines: number; printed: number; maxRssKb: number; cpuSeconds: number }> {
  const started = performance.now();
  // The built command line, as ./qiao runs it (node .build/qiao/main.mjs, built above); the
  // peak-memory and CPU report, and --cpu-prof with BENCH_CLI_PROF, are node options of its own.
  const report = `process.on('exit', () => { const u = process.resourceUsage(); process.stderr.write('MAXRSS ' + u.maxRSS + ' CPU ' + (u.userCPUTime + u.systemCPUTime) + '\\n'); });`;
  const nodeOptions = [`--import=data:text/javascript,${encodeURIComponent(report)}`, ...(process.env.BENCH_CLI_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CLI_PROF}`] : [])];
  const child = spawn(process.execPath,
    [...nodeOptions, join(ROOT, '.build/qiao/main.mjs'), '--gateway', gatewayUrl, '--as', 'inv.ejinhoro', '--pki-dir', pkiDir, '--state-dir', join(pkiDir, 'cli-state'), 'results', inquiryId, '--format', 'ndjson'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = 0;
  let printed = 0;
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => {
    printed += b.length;
    for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) lines++;
  });
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((res, rej) =>
    child.once('exit', (code) => {
      if (code !== 0) return rej(new Error(`qiao results exited with ${code}: ${stderr}`));
      res({ seconds: (performance.now() - started) / 1000, lines, printed, maxRssKb: Number(/MAXRSS (\d+)/.exec(stderr)?.[1] ?? 0), cpuSeconds: Number(/ CPU (\d+)/.exec(stderr)?.[1] ?? 0) / 1e6 });
    }),
  );
}

// The command line is built before anything is timed: `./qiao` rebuilds itself when a source is
// newer than its build, and that must not be counted as download time.
const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-cli.ts'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
if (build.status !== 0) throw new Error('cannot build the command line (scripts/build-cli.ts)');
/** What the ceiling table needs from the federation run. */
let measured: { bytes: number; plain: number; grpc: number; copy: { copyIn: number; copyOut: number } | null; legs: [number, number] } | null = null;
const dir = await mkdtemp(join(tmpdir(), 'qiao-bench-'));
const pki = await ensureDevPki({ dir, departments: ['bank'], units: DEMO_UNITS.map((u) => u.id), signers: DEMO_USERS });
const adapter = await startBankAdapter(dir);
const database = await openTestDatabase();
const config = parseConfig({
  QIAO_MODE: 'development', QIAO_HTTP_PORT: '0', QIAO_METRICS_PORT: '0', QIAO_PKI_DIR: dir,
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
  // The adapter's start-up (loading and compiling its code: about a CPU second) is not the answer's.
  const adapterCpuAtStart = await adapter.cpuSeconds();
  const stored = await sampled(async () => {
    const t = performance.now();
    const listing = await waitForResults(investigator, id, 3_600_000);
    return { seconds: (performance.now() - t) / 1000, summary: listing.results[0]! };
  });
  const { summary } = stored.value;
  if (summary.status !== 'succeeded') throw new Error(`bank part ${summary.status}: ${summary.failureReason}`);
  const bytes = summary.bytes!;
  const adapterCpuAtEnd = await adapter.cpuSeconds();
  const adapterCpu = adapterCpuAtStart === null || adapterCpuAtEnd === null ? null : { all: adapterCpuAtEnd.all - adapterCpuAtStart.all, main: adapterCpuAtEnd.main - adapterCpuAtStart.main };
  const download = await sampled(() => runCli(gateway.url, dir, id));
  if (download.value.lines !== transactions) throw new Error(`the command line printed ${download.value.lines} records, expected ${transactions}`);
  // The answer's size is its NDJSON, as the department wrote it: what the command line printed, less
  // the `"department":"bank",` it puts at the start of each line.
  const plain = download.value.printed - download.value.lines * '"department":"bank",'.length;
  const raw = await rawGrpc(pki, bytes);
  const copy = await rawCopy(database.db, bytes);
  measured = { bytes, plain, grpc: raw, copy, legs: [stored.value.seconds, download.value.seconds] };

  const total = stored.value.seconds + download.value.seconds;
  const rows = [
    ['raw gRPC stream of the ciphertext, same mTLS, this process', fmt(raw, 1), fmt(mib(bytes) / raw), fmt(mib(plain) / raw)],
    ['bank adapter → gateway (generate, deflate, encrypt, stream, store)', fmt(stored.value.seconds, 1), fmt(mib(bytes) / stored.value.seconds), fmt(mib(plain) / stored.value.seconds)],
    ['gateway → `qiao results` (download, verify, decrypt, inflate, NDJSON)', fmt(download.value.seconds, 1), fmt(mib(bytes) / download.value.seconds), fmt(mib(plain) / download.value.seconds)],
    ['end to end (sum of the two)', fmt(total, 1), fmt(mib(bytes) / total), fmt(mib(plain) / total)],
  ];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\nresult: ${transactions} transactions (${summary.records} records), ${fmt(mib(plain))} MiB of NDJSON in ${fmt(mib(bytes))} MiB of ciphertext (${summary.format}), database: ${dbUrl ? 'PostgreSQL' : 'PGlite'}`);
  console.log(`machine: ${cpus().length} CPUs (${cpu}), node ${process.version}\n`);
  console.log('| path | seconds | ciphertext MiB/s | NDJSON MiB/s |\n|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\n| gateway process peak | RSS MiB | heap MiB |\n|---|---:|---:|`);
  console.log(`| while receiving and storing | ${fmt(mib(stored.rss))} | ${fmt(mib(stored.heap))} |`);
  console.log(`| while serving the download | ${fmt(mib(download.rss))} | ${fmt(mib(download.heap))} |`);
  console.log(`\ncommand line peak RSS: ${fmt(download.value.maxRssKb / 1024)} MiB`);
  console.log('\n| CPU seconds (other load on the machine stretches wall time, hardly this) | adapter | gateway | command line |\n|---|---:|---:|---:|');
  console.log(`| bank adapter → gateway | ${adapterCpu === null ? '?' : `${fmt(adapterCpu.all, 1)} (main thread ${fmt(adapterCpu.main, 1)})`} | ${fmt(stored.cpu, 1)} | |`);
  console.log(`| gateway → \`qiao results\` | | ${fmt(download.cpu, 1)} | ${fmt(download.value.cpuSeconds, 1)} |`);
} finally {
  await gateway.close();
  adapter.stop();
  await database.close();
  await rm(dir, { recursive: true, force: true });
}

const crypto = await runCryptoBench();
console.log(`\n${formatCryptoFigures(crypto)}`);
const compression = await runCompressionBench();
console.log(`\n${formatCompressionFigures(compression)}`);
if (measured) console.log(`\n${formatCeiling(measured, crypto, compression.find((c) => c.level === 1))}`);

/**
 * Each stage alone, measured in this run, and the ceiling of each leg: the time of its stages
 * added up, as if nothing else ran — deflate and inflate at the NDJSON's size, every other stage
 * at the ciphertext's (adapter: deflate, seal and hash; the stream; gateway: hash and COPY in;
 * then COPY out; command line: hash, open and inflate). HTTP and the data source are not in it.
 * Rates are MiB of NDJSON per second.
 */
function formatCeiling(m: NonNullable<typeof measured>, figures: readonly CryptoFigure[], deflate?: CompressionFigure): string {
  const rate = (prefix: string) => figures.find((f) => f.name.startsWith(prefix))!.value;
  const seal = rate('AES-GCM seal, node:crypto');
  const open = rate('AES-GCM open, node:crypto');
  const sha = rate('SHA-256 of 64 KiB chunks, node:crypto');
  const size = mib(m.bytes);
  const plain = mib(m.plain);
  const grpcRate = size / m.grpc;
  const copyIn = m.copy ? size / m.copy.copyIn : null;
  const copyOut = m.copy ? size / m.copy.copyOut : null;
  const deflateRate = deflate?.compress ?? Infinity;
  const inflateRate = deflate?.inflate ?? Infinity;
  /** Stages as [MiB they handle, MiB/s]; the ceiling in MiB of NDJSON per second. */
  const ceiling = (stages: [number, number | null][]) => (stages.some(([, r]) => r === null) ? null : plain / stages.reduce<number>((t, [n, r]) => t + n / r!, 0));
  const inbound: [number, number | null][] = [[plain, deflateRate], [size, seal], [size, sha], [size, grpcRate], [size, sha], [size, copyIn]];
  const outbound: [number, number | null][] = [[size, copyOut], [size, sha], [size, open], [plain, inflateRate]];
  const [inCeiling, outCeiling, wholeCeiling] = [ceiling(inbound), ceiling(outbound), ceiling([...inbound, ...outbound])];
  const cell = (n: number | null) => (n === null ? 'n/a (PGlite)' : fmt(n));
  const share = (seconds: number, c: number | null) => (c === null ? '' : `${fmt((100 * plain) / seconds / c)} %`);
  return [
    '| stage alone, this run | MiB/s (of its input) |',
    '|---|---:|',
    `| deflate, zlib level 1, 64 KiB frames (NDJSON in) | ${deflate ? fmt(deflate.compress) : '?'} |`,
    `| inflate (NDJSON out) | ${deflate ? fmt(deflate.inflate) : '?'} |`,
    `| AES-256-GCM seal, node:crypto | ${fmt(seal)} |`,
    `| AES-256-GCM open, node:crypto | ${fmt(open)} |`,
    `| SHA-256, node:crypto | ${fmt(sha)} |`,
    `| gRPC stream, same mTLS | ${fmt(grpcRate)} |`,
    `| PostgreSQL binary COPY in, result_chunks' shape | ${cell(copyIn)} |`,
    `| PostgreSQL binary COPY out | ${cell(copyOut)} |`,
    '',
    `| leg, MiB of NDJSON per second (ciphertext ${fmt(size)} MiB for ${fmt(plain)} MiB of NDJSON, ratio ${fmt(plain / size, 1)}) | measured | ceiling of its stages | of the ceiling |`,
    '|---|---:|---:|---:|',
    `| adapter → gateway (deflate, seal, SHA-256, gRPC, SHA-256, COPY in) | ${fmt(plain / m.legs[0])} | ${cell(inCeiling)} | ${share(m.legs[0], inCeiling)} |`,
    `| gateway → command line (COPY out, SHA-256, open, inflate) | ${fmt(plain / m.legs[1])} | ${cell(outCeiling)} | ${share(m.legs[1], outCeiling)} |`,
    `| end to end | ${fmt(plain / (m.legs[0] + m.legs[1]))} | ${cell(wholeCeiling)} | ${share(m.legs[0] + m.legs[1], wholeCeiling)} |`,
  ].join('\n');
}
