import { randomUUID } from 'node:crypto';
import { asc, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noteSigner, parseVerifierKey, verifierKeyString } from '../proto/checkpoint';
import { storedHashesForLeaf, type Hash } from '../proto/merkle';
import { auditLeafHash } from '../proto/audit-log';
import { auditLogEntries, auditLogHashes } from '../gateway/db/schema';
import { appendAudit, type AuditEntry } from '../gateway/services/audit/append-audit';
import { appendLogEntries } from '../gateway/services/audit/log-store';
import { exampleAuditEntry } from '../gateway/testing/audit-entries';
import { canonicalJson } from '../proto/canonical-json';
import { createCheckpoint } from '../gateway/services/audit/checkpoints';
import { createTestGateway, type TestGateway } from '../gateway/testing/harness';
import { createApiClient } from '../client/core/api-client';
import { verifyAuditLog, type VerifyState } from '../client/core/audit-verify';
import { newEd25519PrivateKey } from '../proto/node/keys';

const ORIGIN = 'test.qiao/audit';
const signing = { origin: ORIGIN, signer: await noteSigner(ORIGIN, newEd25519PrivateKey().export({ format: 'jwk' })) };
const verifier = parseVerifierKey(verifierKeyString(ORIGIN, signing.signer.publicKey));

let gw: TestGateway;
/** The auditor's client, through the app itself: no socket needed. */
const get = (path: string) =>
  createApiClient({ baseUrl: 'http://gateway.test', token: gw.users.auditor.token, fetch: (url, init) => gw.app.request(url, init) }).getJson(path);
const verify = (state?: VerifyState | null) => verifyAuditLog({ get, verifier, origin: ORIGIN, state });
const append = (e: AuditEntry) => gw.db.transaction((tx) => appendAudit(tx, e, gw.audit));

/** One inquiry's life, in the order the gateway logs it. */
async function lifeOfAnInquiry(download: boolean): Promise<void> {
  const inquiryId = randomUUID();
  const actor = { userId: gw.users.investigator.id, unitId: gw.users.investigator.unitId };
  await append(exampleAuditEntry('inquiry.submitted', { actor, inquiryId, details: { categories: ['household'], subjects: 1 } }));
  await append(exampleAuditEntry('inquiry.approved', { actor: { userId: gw.users.approver.id, unitId: gw.users.approver.unitId }, inquiryId, details: { departments: ['public_security'] } }));
  const warrantId = randomUUID();
  await append(exampleAuditEntry('warrant.issued', { inquiryId, details: { department: 'public_security', warrantId, sha256: 'a'.repeat(64) } }));
  await append(exampleAuditEntry('department.answered', { inquiryId, details: { department: 'public_security', warrantId, records: 2, sha256: 'b'.repeat(64) } }));
  if (download) await append(exampleAuditEntry('result.downloaded', { actor, inquiryId, details: { department: 'public_security', warrantId, records: 2 } }));
}

/** Runs statements as an attacker with the owner's rights would: insert-only triggers switched off. */
async function asAttacker(statements: ReturnType<typeof sql>[]): Promise<void> {
  await gw.db.transaction(async (tx) => {
    await tx.execute(sql`ALTER TABLE audit_log_entries DISABLE TRIGGER USER`);
    for (const s of statements) await tx.execute(s);
    await tx.execute(sql`ALTER TABLE audit_log_entries ENABLE TRIGGER USER`);
  });
}

const textAt = async (idx: number) =>
  (await gw.db.select({ entry: auditLogEntries.entry }).from(auditLogEntries).where(sql`idx = ${idx}`))[0]!.entry;

/** The verifier's memory once it accepted the log as set up here: where every test's auditor starts. */
let state: VerifyState;
beforeAll(async () => {
  gw = await createTestGateway();
  for (let i = 0; i < 4; i++) await lifeOfAnInquiry(i % 2 === 0);
  await createCheckpoint(gw.db, signing);
  state = (await verify(null)).state!;
});
afterAll(() => gw?.close());

describe('qiao audit verify', () => {
  it('accepts an untouched log, then a grown one consistent with the checkpoint it accepted', async () => {
    const first = await verify(null);
    expect(first.problems).toEqual([]);
    expect(first.ok).toBe(true);
    const accepted = first.state!;
    await lifeOfAnInquiry(true);
    await createCheckpoint(gw.db, signing);
    const second = await verify(accepted);
    expect(second.problems).toEqual([]);
    expect(second.entries).toBe(accepted.size + 5);
  });

  it('names an edited entry', async () => {
    const original = await textAt(8); // the answer of the second inquiry: it claims two records
    const edited = original.replace('"records":2', '"records":0');
    expect(edited).not.toBe(original);
    await asAttacker([sql`UPDATE audit_log_entries SET entry = ${edited} WHERE idx = 8`]);
    const report = await verify(state);
    await asAttacker([sql`UPDATE audit_log_entries SET entry = ${original} WHERE idx = 8`]);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([{ index: 8, message: expect.stringMatching(/^entry 8 is not the entry the signed checkpoint covers.*department\.answered/) }]);
    expect((await verify(state)).ok).toBe(true); // restored: the check is about the tampering, nothing else
  });

  it('names a deleted entry', async () => {
    const [row] = await gw.db.select().from(auditLogEntries).where(sql`idx = 3`);
    await asAttacker([sql`DELETE FROM audit_log_entries WHERE idx = 3`]);
    const report = await verify(state);
    await gw.db.insert(auditLogEntries).values(row!);
    expect(report.problems).toEqual([{ index: 3, message: 'entry 3 is missing (the listing jumps from 2 to 4)' }]);
  });

  it('names an inserted entry (a backdated approval, later entries shifted down)', async () => {
    const forged = (await textAt(1)).replace(/"inquiryId":"[^"]+"/, `"inquiryId":"${randomUUID()}"`);
    await asAttacker([
      sql`UPDATE audit_log_entries SET idx = -idx - 1 WHERE idx >= 8`,
      sql`UPDATE audit_log_entries SET idx = -idx WHERE idx < 0`,
      sql`INSERT INTO audit_log_entries (idx, entry, action) VALUES (8, ${forged}, 'inquiry.approved')`,
    ]);
    const report = await verify(state);
    await asAttacker([
      sql`DELETE FROM audit_log_entries WHERE idx = 8`,
      sql`UPDATE audit_log_entries SET idx = -idx WHERE idx > 8`,
      sql`UPDATE audit_log_entries SET idx = -idx - 1 WHERE idx < 0`,
    ]);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toEqual({ index: 8, message: expect.stringMatching(/^entry 8 is not the entry the signed checkpoint covers.*inquiry\.approved/) });
    expect((await verify(state)).ok).toBe(true);
  });

  it('names the first of two reordered entries', async () => {
    const [a, b] = [await textAt(10), await textAt(11)];
    await asAttacker([sql`UPDATE audit_log_entries SET entry = ${b} WHERE idx = 10`, sql`UPDATE audit_log_entries SET entry = ${a} WHERE idx = 11`]);
    const report = await verify(state);
    await asAttacker([sql`UPDATE audit_log_entries SET entry = ${a} WHERE idx = 10`, sql`UPDATE audit_log_entries SET entry = ${b} WHERE idx = 11`]);
    expect(report.problems[0]).toMatchObject({ index: 10 });
    // Swapped, the third inquiry's warrant now comes before its approval: the order check sees it too.
    expect(report.problems.map((p) => p.message).join('\n')).toMatch(/entry 10: warrant .* for public_security issued for inquiry .* before any approval/);
  });

  it('reports events in an impossible order even when correctly hashed and signed', async () => {
    const inquiryId = randomUUID();
    await append(exampleAuditEntry('inquiry.submitted', { inquiryId }));
    const warrantAt = await append(exampleAuditEntry('warrant.issued', { inquiryId, details: { department: 'natural_resources', warrantId: 'w-unapproved' } }));
    const readAt = await append(exampleAuditEntry('warrant.read', { inquiryId, details: { department: 'natural_resources', warrantId: 'w-never-issued' } }));
    const downloadAt = await append(exampleAuditEntry('result.downloaded', { inquiryId, details: { department: 'natural_resources', warrantId: 'w-unapproved' } }));
    await createCheckpoint(gw.db, signing);
    const report = await verify(state);
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      { index: warrantAt, message: `entry ${warrantAt}: warrant w-unapproved for natural_resources issued for inquiry ${inquiryId} before any approval` },
      { index: readAt, message: `entry ${readAt}: warrant w-never-issued of natural_resources read, but it was never issued to natural_resources for inquiry ${inquiryId}` },
      { index: downloadAt, message: `entry ${downloadAt}: result of natural_resources (warrant w-unapproved) downloaded before the department answered` },
    ]);
  });

  it('names an entry whose details do not match its action’s format, even when correctly hashed and signed', async () => {
    // What a gateway with a bug (or a rogue writer past appendAudit) could append: the JWT's name instead of warrantId.
    const inquiryId = randomUUID();
    const { details, ...envelope } = JSON.parse(canonicalJson({ v: 1, at: new Date().toISOString(), ...exampleAuditEntry('warrant.issued', { inquiryId }) })) as Record<string, unknown> & {
      details: Record<string, unknown>;
    };
    const { warrantId, ...rest } = details;
    const text = canonicalJson({ ...envelope, details: { ...rest, jti: warrantId } });
    const [index] = await gw.db.transaction((tx) => appendLogEntries(tx, [{ text, action: 'warrant.issued', inquiryId, department: 'public_security' }]));
    await createCheckpoint(gw.db, signing);
    const report = await verify(state);
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual({
      index,
      message: `entry ${index}: the details of warrant.issued do not match its format (details.warrantId: Invalid input: expected string, received undefined; details: Unrecognized key: "jti")`,
    });
  });

  it('catches a history rewritten and re-signed since the checkpoint it accepted', async () => {
    // The attacker edits an old entry and rebuilds every stored hash, so the gateway's next
    // checkpoint signs the forged tree: only the verifier's memory of the old root catches it.
    const original = await textAt(2);
    await asAttacker([sql`UPDATE audit_log_entries SET entry = ${original.replace('"public_security"', '"natural_resources"')} WHERE idx = 2`]);
    const rows = await gw.db.select({ entry: auditLogEntries.entry }).from(auditLogEntries).orderBy(asc(auditLogEntries.idx));
    const stored: Hash[] = [];
    for (const [n, r] of rows.entries()) stored.push(...(await storedHashesForLeaf(n, auditLeafHash(r.entry), (ix) => ix.map((i) => stored[i]!))));
    await gw.db.transaction(async (tx) => {
      await tx.execute(sql`ALTER TABLE audit_log_hashes DISABLE TRIGGER USER`);
      await tx.delete(auditLogHashes);
      await tx.insert(auditLogHashes).values(stored.map((h, idx) => ({ idx, hash: Buffer.from(h) })));
      await tx.execute(sql`ALTER TABLE audit_log_hashes ENABLE TRIGGER USER`);
    });
    await append(exampleAuditEntry('authorization.denied', { details: { attempted: 'audit.read_entries' } }));
    await createCheckpoint(gw.db, signing);
    const report = await verify(state);
    expect(report.ok).toBe(false);
    expect(report.problems[0]!.message).toMatch(new RegExp(`not consistent with the last accepted one \\(size ${state!.size}\\)`));
  });
});
