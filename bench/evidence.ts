import { createHash, randomFillSync } from 'node:crypto';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createBankSource } from '../adapters/departments/bank';
import { MUHUDUNBAO_COOPERATIVE } from '../adapters/departments/demo-world/world';
import { collectEvidence, verifyEvidence } from '../client/core/evidence';
import { bootFederation } from '../tests/harness/federation';
import { unzipSync, zipSync } from 'fflate';
import { evidenceSources, evidenceTrust, openEvidenceFile } from '../client/cli/evidence-files';
import { EvidenceWriter, openEvidence } from '../proto/evidence';

/**
 * `npm run bench:evidence [-- --read-mib R --mib N --baseline-mib M]`: what reading and writing
 * an evidence package cost in memory.
 *
 * Reading (what `qiao evidence verify` does first: container, manifest, every member's digest): a
 * package holding an R MiB ciphertext (default 300) checked by range from its file (openEvidence
 * on a file source), then the way verify did before — the file read whole, unzipped in one call,
 * each member hashed. `--read-mib 0` skips it.
 *
 * Verifying (`--verify-transactions T`, default 0: skipped; PostgreSQL via TEST_DATABASE_URL for
 * a large T — PGlite stores only a few MB/s): a federation whose bank answers T transactions for
 * one cooperative (as tests/big-result.test.ts), the inquiry exported to a file as `qiao evidence
 * export` does, then `verifyEvidence` run in a fresh process on it and on the small committed
 * fixture, each printing its peak RSS (the process's maxRSS).
 *
 * Writing: a
 * ciphertext of N MiB (default 970, the large answer of `npm run bench`) arrives in 64 KiB chunks,
 * as `qiao evidence export` reads it from the gateway, and goes into a package on disk, once
 * streamed through EvidenceWriter (what export does) and once the way export did before — the
 * whole answer read into memory, then zipped in one call — at a size that fits (`--baseline-mib`,
 * default 200). Prints seconds and the peak RSS above the start of each.
 */
const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const MIB = 1024 * 1024;
const CHUNK = 64 * 1024;

async function* ciphertext(mib: number): AsyncIterable<Uint8Array> {
  for (let sent = 0; sent < mib * MIB; sent += CHUNK) yield randomFillSync(new Uint8Array(CHUNK));
}

async function measure(what: string, run: (file: string) => Promise<void>, dir: string, file = join(dir, `${what.replace(/\W+/g, '-')}.qiao-evidence`)): Promise<void> {
  globalThis.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  await run(file);
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(`${what}: ${((performance.now() - started) / 1000).toFixed(1)} s, package ${((await stat(file)).size / MIB).toFixed(0)} MiB, peak RSS +${((peak - base) / MIB).toFixed(0)} MiB`);
  await rm(file);
}

async function writePackage(file: string, mib: number): Promise<void> {
  const out = await open(file, 'w');
  const writer = new EvidenceWriter('bench', new Date(), async (c) => void (await out.write(c)), () => createHash('sha256'));
  await writer.add('inquiry.json', new TextEncoder().encode('{}\n'));
  await writer.add('results/bank.bin', ciphertext(mib));
  await writer.finish();
  await out.close();
}

/** In a child: verify one package, print peak RSS. */
async function verifyChild(file: string, trustDir: string): Promise<void> {
  const started = performance.now();
  const source = await openEvidenceFile(file);
  const report = await verifyEvidence(source, { ...(await evidenceTrust(trustDir, 'qiao.gateway/audit-log')), createSha256: () => createHash('sha256') });
  await source.close();
  const bytes = report.results.reduce((n, r) => n + r.bytes, 0);
  console.log(`verify ${file.split('/').slice(-2).join('/')}: ${report.results.map((r) => `${r.department} ${r.records} records`).join(', ')}, ${(bytes / MIB).toFixed(1)} MiB of ciphertext, ${((performance.now() - started) / 1000).toFixed(1)} s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
}

function runChild(file: string, trustDir: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, '--verify-file', file, '--trust-dir', trustDir], { stdio: 'inherit' });
    child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`verifying ${file} exited ${code}`))));
  });
}

async function measureVerify(transactions: number, dir: string): Promise<void> {
  const fed = await bootFederation({ env: { QIAO_CALL_DEADLINE: '5m' }, sources: { bank: createBankSource({ volume: { [MUHUDUNBAO_COOPERATIVE]: transactions } }) }, logLevel: 'warn' });
  try {
    const inquiry = await fed.runInquiry({ investigator: 'inv.ejinhoro', approvers: ['appr.ordos', 'appr.region', 'appr2.region'], subjects: [{ kind: 'organisation', id: MUHUDUNBAO_COOPERATIVE }], categories: ['bank_transactions'] });
    await fed.drain();
    const file = join(dir, 'large.qiao-evidence');
    const out = await open(file, 'w');
    await collectEvidence(await fed.as('inv.ejinhoro'), await fed.as('auditor.region'), inquiry, async (c) => void (await out.write(c)),
      await evidenceSources(fed.pki.dir, undefined, join(import.meta.dirname, '..', 'adapters', 'departments')), { createSha256: () => createHash('sha256') });
    await out.close();
    const fixture = join(import.meta.dirname, '..', 'tests', 'fixtures', 'evidence', 'qiao-evidence-v3');
    await runChild(join(fixture, 'case.qiao-evidence'), join(fixture, 'trust'));
    await runChild(file, fed.pki.dir);
  } finally {
    await fed.close();
  }
}

const verifyFile = process.argv.indexOf('--verify-file');
if (verifyFile > 0) {
  await verifyChild(process.argv[verifyFile + 1]!, process.argv[process.argv.indexOf('--trust-dir') + 1]!);
  process.exit(0);
}

const dir = await mkdtemp(join(tmpdir(), 'qiao-bench-evidence-'));
try {
  const transactions = arg('verify-transactions', 0);
  if (transactions > 0) await measureVerify(transactions, dir);
  const readMib = arg('read-mib', 300);
  if (readMib > 0) {
    const pkg = join(dir, 'read.qiao-evidence');
    await writePackage(pkg, readMib);
    await measure(`read by range, ${readMib} MiB ciphertext`, async (file) => {
      const source = await openEvidenceFile(file);
      const opened = await openEvidence(source, () => createHash('sha256'));
      await opened.close();
      await source.close();
    }, dir, pkg);
    await writePackage(pkg, readMib);
    await measure(`read whole (before), ${readMib} MiB ciphertext`, async (file) => {
      const entries = unzipSync(new Uint8Array(await readFile(file)));
      for (const data of Object.values(entries)) createHash('sha256').update(data).digest('hex');
    }, dir, pkg);
  }
  const mib = arg('mib', 970);
  if (mib > 0) await measure(`streamed, ${mib} MiB ciphertext`, async (file) => {
    const out = await open(file, 'w');
    const writer = new EvidenceWriter('bench', new Date(), async (c) => void (await out.write(c)), () => createHash('sha256'));
    await writer.add('results/bank.bin', ciphertext(mib));
    await writer.finish();
    await out.close();
  }, dir);
  const baseline = arg('baseline-mib', 200);
  if (baseline > 0) await measure(`in memory (before), ${baseline} MiB ciphertext`, async (file) => {
    const parts: Uint8Array[] = [];
    for await (const c of ciphertext(baseline)) parts.push(c);
    const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (whole.set(p, at), at + p.length), 0);
    parts.length = 0;
    const out = await open(file, 'w');
    await out.write(zipSync({ 'results/bank.bin': whole }));
    await out.close();
  }, dir);
} finally {
  await rm(dir, { recursive: true, force: true });
}
