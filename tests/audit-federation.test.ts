import { createHash } from 'node:crypto';
import { directoryReceiptKeys } from '../client/cli/directory-keys';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServedLog } from '../adapters/kit/served-log';
import { verifyAuditLog } from '../client/core/audit-verify';
import { fetchAndDecrypt, waitForResults } from '../client/core/results';
import { parseAuditEntry, parseCheckpointKey } from '../proto/audit-log';
import { verifyWarrant } from '../proto/warrant';
import { bootFederation, type Federation } from './harness/federation';

const run = promisify(execFile);
const ORIGIN = 'qiao.gateway/audit-log';
const LI = '150627196803120034';
const CASE = 'EJH-2019-031';

/**
 * The audit log of a real run: the gateway as `npm start` runs it (checkpoint key and commitment
 * key from the dev PKI), an inquiry through both departments, and an auditor who verifies the
 * log with nothing but the published verifier key — through the library and the `qiao` command.
 */
describe('the audit log of a whole federation', () => {
  let fed: Federation;
  let stateDir: string;
  let inquiryId: string;

  beforeAll(async () => {
    fed = await bootFederation();
    stateDir = await mkdtemp(join(tmpdir(), 'qiao-audit-state-'));
    const investigator = await fed.as('inv.ejinhoro');
    const { id } = await investigator.submitInquiry({
      caseReference: CASE,
      legalBasis: 'Supervision Law art. 18',
      purpose: 'verify grassland subsidy declarations',
      subjects: [{ kind: 'person', id: LI }],
      categories: ['household', 'real_estate'],
    });
    inquiryId = id;
    await (await fed.as('appr.ordos')).approve(id, { comment: 'approved' });
    await fed.drain();
    const listing = await waitForResults(investigator, id, 0);
    const options = { privateKey: fed.pki.units['150627']!.privateJwk, receiptKeys: directoryReceiptKeys(join(fed.pki.dir, 'directory')) };
    for (const summary of listing.results) await fetchAndDecrypt(investigator, id, summary, options);
  }, 180_000); // the federation boots eight department adapters: on a loaded machine that outlasts a minute
  afterAll(async () => {
    await fed?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('logs the whole life of the inquiry in order, with commitments instead of the subject and the case', async () => {
    const auditor = await fed.as('auditor.region');
    const { entries } = await auditor.auditEntries();
    const actions = entries.map((e) => parseAuditEntry(e.entry).action);
    // The gateway's first start records the policy files and keys it runs by.
    expect(actions.slice(0, 4)).toEqual(['policy.changed', 'keys.changed', 'inquiry.submitted', 'inquiry.approved']);
    // Two departments: a warrant, an answer and a download each (the order checks are the verifier's).
    expect([...actions.slice(4)].sort()).toEqual(['department.answered', 'department.answered', 'result.downloaded', 'result.downloaded', 'warrant.issued', 'warrant.issued']);
    const all = entries.map((e) => e.entry).join('\n');
    expect(all).not.toContain(LI);
    expect(all).not.toContain(CASE);
    expect(parseAuditEntry(entries[2]!.entry).details.commitments).toMatchObject({ case: expect.any(String), subjects: [expect.any(String)] });
  });

  it('verifies against the pinned checkpoint key, through the library and through `qiao audit verify`', async () => {
    const auditor = await fed.as('auditor.region');
    const signed = await auditor.signCheckpoint();
    expect(signed.size).toBeGreaterThanOrEqual(8);
    const verifier = parseCheckpointKey(await readFile(join(fed.pki.dir, 'keys/checkpoint-verifier.jwk'), 'utf8'), ORIGIN);
    const report = await verifyAuditLog({ get: auditor.getJson, verifier, origin: ORIGIN, state: null });
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);

    const qiao = (args: string[]) =>
      run(join(import.meta.dirname, '..', 'qiao'), ['--gateway', fed.gateway.url, '--as', 'auditor.region', '--state-dir', stateDir, '--pki-dir', fed.pki.dir, 'audit', 'verify', ...args], {
        cwd: join(import.meta.dirname, '..'),
      });
    const first = await qiao([]);
    expect(first.stdout).toMatch(/^audit log OK: \d+ entries, checkpoint signed by qiao\.gateway\/audit-log \(first run: this checkpoint is now pinned\)/);
    await (await fed.as('inv.ejinhoro')).submitInquiry({ caseReference: 'X-1', legalBasis: 'b', purpose: 'p', subjects: [{ kind: 'person', id: LI }], categories: ['household'] });
    await auditor.signCheckpoint();
    const again = await qiao([]);
    expect(again.stdout).toMatch(/audit log OK: .*consistent with the one accepted before/);
  });

  it('`adapters/reconcile.ts` agrees on the warrant public_security served, and catches one the gateway did not log', async () => {
    // The adapter's served-warrant log, as the kit writes it: the logged warrant, plus one more.
    // The log as it is now under a signed checkpoint: the scheduled one may not have come yet.
    await (await fed.as('auditor.region')).signCheckpoint();
    const operator = await fed.as('ops.public_security');
    const { entries } = await operator.auditEntries({ department: 'public_security' });
    const issued = entries.map((e) => parseAuditEntry(e.entry)).find((e) => e.action === 'warrant.issued')!;
    const answer = entries.map((e) => parseAuditEntry(e.entry)).find((e) => e.action === 'department.answered')!;
    const logFile = join(stateDir, 'served.ndjson');
    const log = await openServedLog(logFile);
    const base = { jti: String(issued.details.warrantId), warrantSha256: String(issued.details.sha256), inquiryId: issued.inquiryId! };
    await log.append({ outcome: 'accepted', ...base });
    await log.append({ outcome: 'served', ...base, records: Number(answer.details.records), bytes: Number(answer.details.bytes), ciphertextSha256: String(answer.details.sha256) });
    await log.append({ outcome: 'accepted', jti: 'unlogged-warrant', warrantSha256: 'f'.repeat(64), inquiryId: issued.inquiryId! });
    await log.close();

    const result = await run(
      'npx',
      ['tsx', 'adapters/reconcile.ts', '--department', 'public_security', '--gateway', fed.gateway.url, '--log', logFile,
        '--checkpoint-key', join(fed.pki.dir, 'keys/checkpoint-verifier.jwk'), '--state', join(stateDir, 'ps-state.json'), '--as', 'ops.public_security', '--grace', '0'],
      { cwd: join(import.meta.dirname, '..') },
    ).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout + err.stderr }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/1 warrants served and logged, digests matching/);
    expect(result.stdout).toMatch(/SERVED BUT NOT LOGGED by the gateway \(1\):\n\s+warrant unlogged-warrant/);
    expect(JSON.parse(await readFile(join(stateDir, 'ps-state.json'), 'utf8'))).toMatchObject({ origin: ORIGIN });
  });

  it('the auditor, the requesting unit and each department obtain the exact warrant the department received', async () => {
    const auditor = await fed.as('auditor.region');
    const { warrants } = await auditor.listWarrants(inquiryId);
    expect(warrants.map((w) => w.department)).toEqual(['natural_resources', 'public_security']);
    const { entries } = await auditor.auditEntries();
    const issued = entries.map((e) => parseAuditEntry(e.entry)).filter((e) => e.action === 'warrant.issued');
    for (const w of warrants) {
      // The digest in the log is the digest of these bytes, the gateway's key signed them, and the
      // department's own served-warrant log says it accepted exactly them.
      expect(createHash('sha256').update(w.warrant, 'ascii').digest('hex')).toBe(w.sha256);
      expect(issued.filter((e) => e.details.warrantId === w.warrantId).map((e) => e.details.sha256)).toEqual([w.sha256]);
      expect((await verifyWarrant(w.warrant, { keys: fed.pki.warrantKey.publicJwks.keys, audience: w.department })).jti).toBe(w.warrantId);
      const served = (await readFile(join(fed.pki.dir, 'served', `${w.department}.ndjson`), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(served).toContainEqual(expect.objectContaining({ outcome: 'accepted', jti: w.warrantId, warrantSha256: w.sha256 }));
    }
    const investigator = await fed.as('inv.ejinhoro');
    expect((await investigator.listWarrants(inquiryId)).warrants).toEqual(warrants);
    const operator = await fed.as('ops.public_security');
    expect((await operator.listWarrants(inquiryId)).warrants).toEqual(warrants.filter((w) => w.department === 'public_security'));
    // Each read is on the record; the warrants themselves (they name the subject) never are.
    const after = (await auditor.auditEntries()).entries.map((e) => e.entry);
    expect(after.filter((e) => parseAuditEntry(e).action === 'warrant.read')).toHaveLength(5);
    for (const w of warrants) {
      expect(after.join('\n')).not.toContain(w.warrant.split('.')[1]);
      expect(fed.gatewayLogs.join('')).not.toContain(w.warrant.split('.')[1]);
    }
  });
});
