/**
 * Audit log benchmark (PostgreSQL): `tsx bench/audit.ts [--entries 1000000] [--batch 1000]`
 * with TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test (a fresh database is created
 * and dropped). Reports:
 *
 *  - appends/s batched (appendAuditEntries, one transaction per batch, a signed checkpoint every
 *    10 batches), against a baseline of plain INSERTs of the same rows in the same run;
 *  - appends/s one entry per transaction from 8 concurrent writers (how business transactions
 *    append: each holds the tree row lock from its append to its commit);
 *  - inclusion and consistency proof time at the full size (stored hashes read per proof);
 *  - full verification (`qiao audit verify`'s replay through the HTTP API, in process) per
 *    million entries.
 *
 * Exported `runAuditBench` so bench/main.ts can call it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { auditLogEntries } from '../gateway/db/schema';
import { parseVerifierKey, noteSigner, verifierKeyString } from '../proto/checkpoint';
import { proveConsistency, proveInclusion, verifyInclusion } from '../proto/merkle';
import { auditLeafHash } from '../proto/audit-log';
import { verifyAuditLog } from '../client/core/audit-verify';
import { openTestDatabase } from '../gateway/db/testing';
import type { Database } from '../gateway/db/client';
import { appendAuditEntries, appendAudit, createAuditWriter, type AuditEntry } from '../gateway/services/audit/append-audit';
import { createCheckpoint } from '../gateway/services/audit/checkpoints';
import { currentTreeSize, readStoredHashes } from '../gateway/services/audit/log-store';
import { createApiClient } from '../client/core/api-client';
import { createTestGateway } from '../gateway/testing/harness';
import { newEd25519PrivateKey } from '../proto/node/keys';

export interface AuditBenchResult {
  name: string;
  value: string;
}

const ORIGIN = 'bench.qiao/audit';

const uuid = (n: number, kind: number) => `00000000-0000-4000-${(0x8000 + kind).toString(16)}-${n.toString(16).padStart(12, '0')}`;

/** Entry i of a realistic log: each inquiry submitted, approved, warranted, answered, downloaded. */
function entry(i: number): AuditEntry {
  const n = Math.floor(i / 5);
  const inquiryId = uuid(n, 0);
  const warrantId = uuid(n, 1);
  const department = n % 2 ? 'public_security' : 'natural_resources';
  const actor = { userId: uuid(n % 97, 2), unitId: '150627' };
  switch (i % 5) {
    case 0:
      return {
        action: 'inquiry.submitted',
        actor,
        inquiryId,
        requestId: randomUUID(),
        details: { categories: ['household', 'household_members'], subjects: 2, sensitivity: 'standard', approvalChain: [{ role: 'approver', unitId: '150600', count: 1 }], policyIds: ['investigator-submits-for-own-unit'] },
        committed: { caseReference: `EJH-2024-${n}`, subjectIds: ['150627196803120034', '150627199002150018'] },
      };
    case 1:
      return {
        action: 'inquiry.approved',
        actor,
        inquiryId,
        requestId: randomUUID(),
        details: { decisionId: uuid(n, 3), policyIds: ['approver-fills-next-step'], step: 1, steps: 1, remaining: 0, departments: [department] },
      };
    case 2:
      return {
        action: 'warrant.issued',
        inquiryId,
        details: { department, partId: uuid(n, 4), warrantId, attempt: 1, sha256: 'ab'.repeat(32), kid: 'warrant-key-1', categories: ['household'], expiresAt: new Date().toISOString() },
      };
    case 3:
      return {
        action: 'department.answered',
        inquiryId,
        details: { department, partId: uuid(n, 4), warrantId, attempt: 1, format: 'qiao-stream-v1', records: 3, bytes: 2048, sha256: 'cd'.repeat(32), chunks: 1, receiptSha256: 'ef'.repeat(32) },
      };
    default:
      return { action: 'result.downloaded', actor, inquiryId, requestId: randomUUID(), details: { department, warrantId, records: 3, bytes: 2048, sha256: 'cd'.repeat(32) } };
  }
}

/** Refused attempts (no inquiry): what the concurrent single-entry writers append. */
const denied = (i: number): AuditEntry => ({
  action: 'authorization.denied',
  actor: { userId: uuid(i, 5), unitId: '150627' },
  requestId: randomUUID(),
  details: { attempted: 'audit.read_entries', reason: 'bench', policyIds: [] },
});

const perSecond = (n: number, ms: number) => `${Math.round((n / ms) * 1000).toLocaleString('en')} entries/s`;

export async function runAuditBench(options: { entries?: number; batch?: number; log?: (line: string) => void } = {}): Promise<AuditBenchResult[]> {
  const total = options.entries ?? 1_000_000;
  const batch = options.batch ?? 1000;
  const log = options.log ?? ((l: string) => console.error(l));
  if (!process.env.TEST_DATABASE_URL) throw new Error('set TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test: the benchmark runs on PostgreSQL');
  const database: Database = await openTestDatabase();
  const results: AuditBenchResult[] = [];
  const signing = { origin: ORIGIN, signer: await noteSigner(ORIGIN, newEd25519PrivateKey().export({ format: 'jwk' })) };
  const writer = createAuditWriter(randomBytes(32));
  try {
    const { db } = database;
    const sample = Math.min(total, 100_000);

    // Baseline: the same rows, plain INSERTs into a table of the same shape, same batches.
    await db.execute(sql`CREATE TABLE bench_plain (idx bigint PRIMARY KEY, entry text NOT NULL, action text NOT NULL, inquiry_id uuid, department text)`);
    let t = performance.now();
    for (let i = 0; i < sample; i += batch) {
      const rows = Array.from({ length: Math.min(batch, sample - i) }, (_, k) => {
        const e = entry(i + k);
        return sql`(${i + k}, ${JSON.stringify(e)}, ${e.action}, ${e.inquiryId ?? null}, ${'department' in e.details ? e.details.department : null})`;
      });
      await db.transaction((tx) => tx.execute(sql`INSERT INTO bench_plain VALUES ${sql.join(rows, sql`, `)}`));
    }
    const plainMs = performance.now() - t;
    results.push({ name: `baseline: plain INSERT, batches of ${batch}`, value: perSecond(sample, plainMs) });
    log(`baseline ${results.at(-1)!.value}`);

    // Batched appends with a checkpoint every 10 batches.
    t = performance.now();
    let checkpoints = 0;
    for (let i = 0, b = 0; i < sample; i += batch, b++) {
      const entries = Array.from({ length: Math.min(batch, sample - i) }, (_, k) => entry(i + k));
      await db.transaction((tx) => appendAuditEntries(tx, entries, writer));
      if (b % 10 === 9) {
        await createCheckpoint(db, signing);
        checkpoints++;
      }
    }
    await createCheckpoint(db, signing);
    const merkleMs = performance.now() - t;
    results.push({ name: `Merkle log: batches of ${batch}, ${checkpoints + 1} checkpoints`, value: `${perSecond(sample, merkleMs)} (${((merkleMs / plainMs) * 100).toFixed(0)}% of baseline time)` });
    log(`batched ${results.at(-1)!.value}`);

    // One entry per transaction, 8 writers: the business-transaction path.
    const single = Math.min(5000, total);
    t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < single) {
          next++;
          await db.transaction((tx) => appendAudit(tx, denied(next), writer));
        }
      }),
    );
    results.push({ name: 'Merkle log: 1 entry per transaction, 8 concurrent writers', value: perSecond(single, performance.now() - t) });
    log(`per-transaction ${results.at(-1)!.value}`);

    // Fill up to the full size through the same path, larger batches.
    let size = await currentTreeSize(db);
    let i = sample;
    t = performance.now();
    while (size < total) {
      const n = Math.min(10_000, total - size);
      await db.transaction((tx) => appendAuditEntries(tx, Array.from({ length: n }, (_, k) => entry(i + k)), writer));
      size += n;
      i += n;
      if (size % 100_000 < 10_000) log(`  filled ${size.toLocaleString('en')}`);
    }
    const fillMs = performance.now() - t;
    if (fillMs > 0 && total > sample) results.push({ name: 'Merkle log: fill, batches of 10,000', value: perSecond(total - sample - single, fillMs) });
    const cp = await createCheckpoint(db, signing);

    // Proofs at the full size.
    let reads = 0;
    const reader = (idx: readonly number[]) => {
      reads += idx.length;
      return readStoredHashes(db, idx);
    };
    const rounds = 200;
    t = performance.now();
    for (let r = 0; r < rounds; r++) {
      const i = Math.floor(Math.random() * cp.size);
      const proof = await proveInclusion(i, cp.size, reader);
      if (r === 0) {
        const [row] = await db.select({ entry: auditLogEntries.entry }).from(auditLogEntries).where(eq(auditLogEntries.idx, i));
        verifyInclusion(i, cp.size, auditLeafHash(row!.entry), proof, cp.root);
      }
    }
    results.push({ name: `inclusion proof at ${cp.size.toLocaleString('en')} entries`, value: `${((performance.now() - t) / rounds).toFixed(2)} ms (${(reads / rounds).toFixed(0)} stored hashes read)` });
    reads = 0;
    t = performance.now();
    for (let r = 0; r < rounds; r++) await proveConsistency(Math.floor(Math.random() * cp.size) + 1, cp.size, reader);
    results.push({ name: `consistency proof at ${cp.size.toLocaleString('en')} entries`, value: `${((performance.now() - t) / rounds).toFixed(2)} ms (${(reads / rounds).toFixed(0)} stored hashes read)` });
    log(`proofs done`);

    // Full verification through the HTTP API (in process): what `qiao audit verify` does.
    const gw = await createTestGateway({ database });
    const verifier = parseVerifierKey(verifierKeyString(ORIGIN, signing.signer.publicKey));
    const { getJson: get } = createApiClient({ baseUrl: 'http://gateway.test', token: gw.users.auditor.token, fetch: (url, init) => gw.app.request(url, init) });
    await createCheckpoint(db, signing); // the harness's seeding appended nothing, but be exact
    t = performance.now();
    const report = await verifyAuditLog({ get, verifier, origin: ORIGIN, state: null });
    const verifyMs = performance.now() - t;
    if (!report.ok) throw new Error(`verification failed: ${report.problems.slice(0, 3).map((p) => p.message).join('; ')}`);
    results.push({
      name: `full verification (${report.entries.toLocaleString('en')} entries, HTTP in process)`,
      value: `${(verifyMs / 1000).toFixed(1)} s = ${((verifyMs / 1000 / report.entries) * 1e6).toFixed(1)} s per million`,
    });
  } finally {
    await database.close();
  }
  return results;
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  runAuditBench({ entries: arg('entries'), batch: arg('batch') })
    .then((results) => {
      const width = Math.max(...results.map((r) => r.name.length));
      console.log(results.map((r) => `${r.name.padEnd(width)}  ${r.value}`).join('\n'));
    })
    .catch((err: unknown) => {
      console.error(`bench/audit: ${(err as Error).message}`);
      process.exitCode = 1;
    });
}
