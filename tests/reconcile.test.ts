import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatReport, reconcileDepartment } from '../proto/reconcile';
import { openServedLog, type ServedLog } from '../adapters/kit/served-log';
import { CheckpointRejected } from '../proto/audit-client';
import { noteSigner, parseVerifierKey, verifierKeyString } from '../proto/checkpoint';
import { auditLogEntries, users } from '../gateway/db/schema';
import { appendAudit } from '../gateway/services/audit/append-audit';
import { exampleAuditEntry } from '../gateway/testing/audit-entries';
import { appendLogEntries } from '../gateway/services/audit/log-store';
import { canonicalJson } from '../proto/canonical-json';
import { createCheckpoint } from '../gateway/services/audit/checkpoints';
import { createApiClient } from '../client/core/api-client';
import { createTestGateway, type TestGateway } from '../gateway/testing/harness';
import { newEd25519PrivateKey } from '../proto/node/keys';

/**
 * The department catches the gateway: warrants it served are compared with the gateway's audit
 * log, through the HTTP API, inclusion proofs and a pinned checkpoint key — as the reconcile
 * command does. The gateway here "skips one log write": it sends a warrant it never logged.
 */
const ORIGIN = 'test.qiao/audit';
const signing = { origin: ORIGIN, signer: await noteSigner(ORIGIN, newEd25519PrivateKey().export({ format: 'jwk' })) };
const verifier = parseVerifierKey(verifierKeyString(ORIGIN, signing.signer.publicKey));
const DEPT = 'public_security';

let gw: TestGateway;
let dir: string;
let served: ServedLog;
const inquiryId = randomUUID();
const digest = (jws: string) => createHash('sha256').update(jws).digest('hex');
/** What the department's reconcile reads, through the app itself: no socket needed. */
const get = (path: string) =>
  createApiClient({ baseUrl: 'http://gateway.test', token: gw.users.departmentOperator.token, fetch: (url, init) => gw.app.request(url, init) }).getJson(path);
const reconcile = (state?: Parameters<typeof reconcileDepartment>[0]['state']) =>
  reconcileDepartment({ get, verifier, origin: ORIGIN, department: DEPT, served: served.entries(), state, graceMs: 0 });

/** The gateway's side of one warrant: logged (as gateway/warrants/issue-warrant.ts does) unless skipped. */
async function issue(warrantId: string, department: string, { log = true } = {}): Promise<string> {
  const jws = `header.${Buffer.from(JSON.stringify({ jti: warrantId, department })).toString('base64url')}.signature`;
  if (log) {
    await gw.db.transaction((tx) =>
      appendAudit(tx, exampleAuditEntry('warrant.issued', { inquiryId, details: { department, partId: randomUUID(), warrantId, sha256: digest(jws), kid: 'k1' } }), gw.audit),
    );
  }
  return jws;
}

/** The department's side: the adapter's served-warrant log. */
async function serve(warrantId: string, jws: string, ciphertextSha256 = 'c'.repeat(64)): Promise<void> {
  await served.append({ outcome: 'accepted', jti: warrantId, warrantSha256: digest(jws), inquiryId });
  await served.append({ outcome: 'served', jti: warrantId, warrantSha256: digest(jws), inquiryId, records: 1, bytes: 100, ciphertextSha256 });
}

/** The gateway's record of the answer (as gateway/fanout/process.ts logs it). */
async function answered(warrantId: string, sha256: string): Promise<void> {
  await gw.db.transaction((tx) =>
    appendAudit(tx, exampleAuditEntry('department.answered', { inquiryId, details: { department: DEPT, partId: randomUUID(), warrantId, records: 1, bytes: 100, sha256 } }), gw.audit),
  );
}

// Each test has a gateway and a served-warrant log of its own: a reconciliation reads all of both.
beforeEach(async () => {
  gw = await createTestGateway();
  await gw.db.update(users).set({ department: DEPT }).where(eq(users.id, gw.users.departmentOperator.id));
  dir = await mkdtemp(join(tmpdir(), 'qiao-reconcile-'));
  served = await openServedLog(join(dir, 'served.ndjson'));
});
afterEach(async () => {
  await served?.close();
  await gw?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const FORGED = 'forged.warrant.x';

/** The department's first run, over one of each discrepancy under a signed checkpoint: its report. */
async function firstRun() {
  await serve('w-1', await issue('w-1', DEPT));
  await answered('w-1', 'c'.repeat(64));
  await serve('w-2', await issue('w-2', DEPT));
  await answered('w-2', 'e'.repeat(64)); // the gateway stored another answer than the one served
  await serve('w-skipped', await issue('w-skipped', DEPT, { log: false })); // the skipped log write
  await issue('w-never-arrived', DEPT); // logged, the call failed on the way
  await issue('w-other', 'natural_resources'); // another department's: not this one's business
  await served.append({ outcome: 'refused', warrantSha256: digest(FORGED), reason: 'bad signature' });
  const swapped = await issue('w-swapped', DEPT);
  await serve('w-swapped', `${swapped}-but-another`);
  await createCheckpoint(gw.db, signing);
  return reconcile(null);
}

describe('department reconciliation', () => {
  it('catches the warrant the gateway served without logging it, and the other discrepancies', async () => {
    const report = await firstRun();
    expect(report.servedNotLogged.map((w) => w.warrantId)).toEqual(['w-skipped']);
    expect(report.digestMismatch.map((m) => m.served.warrantId)).toEqual(['w-swapped']);
    expect(report.loggedNotServed.map((l) => l.warrantId)).toEqual(['w-never-arrived']);
    expect(report.refusedNotLogged.map((r) => r.warrantSha256)).toEqual([digest(FORGED)]);
    expect(report.answerMismatch.map((m) => [m.served.warrantId, m.logged.sha256])).toEqual([['w-2', 'e'.repeat(64)]]);
    expect([report.matched, report.badEntries, report.pending]).toEqual([2, [], 0]);
    expect(formatReport(report)).toMatch(/SERVED BUT NOT LOGGED by the gateway \(1\):\n\s+warrant w-skipped \(served at/);
  });

  it('a later run follows a consistent checkpoint and agrees once nothing is amiss', async () => {
    const { state } = await firstRun();
    await serve('w-3', await issue('w-3', DEPT));
    await createCheckpoint(gw.db, signing);
    const report = await reconcile(state);
    expect(report.previousSize).toBe(state.size);
    expect(report.checkpointSize).toBe(state.size + 1);
    expect(report.matched).toBe(3);
    expect(report.servedNotLogged.map((w) => w.warrantId)).toEqual(['w-skipped']); // still not logged: still reported
  });

  it('an entry edited in the gateway’s database fails its inclusion proof and counts as not logged', async () => {
    const { state } = await firstRun();
    const [row] = await gw.db.select().from(auditLogEntries).where(sql`entry LIKE '%"warrantId":"w-1"%' AND action = 'warrant.issued'`);
    await gw.db.transaction(async (tx) => {
      await tx.execute(sql`ALTER TABLE audit_log_entries DISABLE TRIGGER USER`);
      await tx.execute(sql`UPDATE audit_log_entries SET entry = ${row!.entry.replace('"kid":"k1"', '"kid":"k2"')} WHERE idx = ${row!.idx}`);
      await tx.execute(sql`ALTER TABLE audit_log_entries ENABLE TRIGGER USER`);
    });
    const report = await reconcile(state);
    expect(report.badEntries).toEqual([{ index: row!.idx, problem: expect.stringMatching(/is not in the tree/) }]);
    expect(report.servedNotLogged.map((w) => w.warrantId).sort()).toEqual(['w-1', 'w-skipped']);
  });

  it('refuses a checkpoint that does not extend the one it accepted', async () => {
    const { state } = await firstRun();
    await expect(reconcile({ ...state, root: Buffer.alloc(32, 1).toString('base64') })).rejects.toThrow(CheckpointRejected);
    await expect(reconcile({ ...state, size: state.size + 5 })).rejects.toThrow(/shrank/);
  });

  it('counts an entry of its department whose details do not match the format as one that does not verify', async () => {
    await firstRun();
    // Correctly in the tree, but the answer's figures are not what the format says: a gateway bug or forgery.
    const { details, ...rest } = exampleAuditEntry('department.answered', { inquiryId, details: { department: DEPT, warrantId: 'w-3' } });
    const text = canonicalJson({ v: 1, at: new Date().toISOString(), ...rest, details: { ...details, records: 'one' } });
    const [index] = await gw.db.transaction((tx) => appendLogEntries(tx, [{ text, action: 'department.answered', inquiryId, department: DEPT }]));
    await createCheckpoint(gw.db, signing);
    const report = await reconcile(null);
    expect(report.badEntries).toContainEqual({ index, problem: 'the details of department.answered do not match its format (details.records: Invalid input: expected number, received string)' });
    expect(report.answerMismatch).toEqual([expect.objectContaining({ served: expect.objectContaining({ warrantId: 'w-2' }) })]);
  });
});
