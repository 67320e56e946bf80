import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWarrant } from '../../../proto/warrant';
import { auditEvents, auditLogEntries, users } from '../../db/schema';
import { createTestGateway, type StoredResult, type TestGateway, type TestUser } from '../../testing/harness';

let gw: TestGateway;
let id: string;
const answered: Record<string, StoredResult> = {};
let naturalResourcesOperator: TestUser;

beforeAll(async () => {
  gw = await createTestGateway();
  const submitted = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ categories: ['household', 'grassland_contracts'] }));
  id = submitted.body.id;
  expect((await gw.as(gw.users.approver).approve(id)).status).toBe(200);
  for (const department of ['public_security', 'natural_resources']) answered[department] = await gw.storeResult(id, department);
  await gw.db.update(users).set({ department: 'public_security' }).where(eq(users.id, gw.users.departmentOperator.id));
  naturalResourcesOperator = await gw.seedUser(gw.units.region, ['department_operator']);
  await gw.db.update(users).set({ department: 'natural_resources' }).where(eq(users.id, naturalResourcesOperator.id));
});
afterAll(() => gw?.close());

const warrantsOf = (who: TestUser, inquiryId = id) => gw.as(who).warrants(inquiryId);

describe('GET /v1/inquiries/:id/warrants', () => {
  it('gives the requesting unit the exact warrant each department received, matching its warrant.issued entry', async () => {
    const res = await warrantsOf(gw.users.investigator);
    expect(res.status).toBe(200);
    expect(res.body.inquiryId).toBe(id);
    expect(res.body.warrants.map((w) => [w.department, w.attempt])).toEqual([
      ['natural_resources', 1],
      ['public_security', 1],
    ]);
    const issued = await gw.db.select().from(auditEvents).where(eq(auditEvents.action, 'warrant.issued'));
    for (const w of res.body.warrants) {
      expect(w.warrant).toBe(answered[w.department]!.warrant);
      expect(w.sha256).toBe(createHash('sha256').update(w.warrant, 'ascii').digest('hex'));
      expect(issued.filter((e) => e.details.warrantId === w.warrantId).map((e) => e.details)).toEqual([expect.objectContaining({ department: w.department, sha256: w.sha256, attempt: 1 })]);
      const claims = await verifyWarrant(w.warrant, { keys: [gw.warrantPublicJwk], audience: w.department });
      expect([claims.jti, claims.inquiry_id, new Date(claims.iat * 1000).toISOString(), new Date(claims.exp * 1000).toISOString()]).toEqual([w.warrantId, id, w.issuedAt, w.expiresAt]);
    }
  });

  it('logs every warrant it serves as warrant.read, by digest, never the warrant itself', async () => {
    const res = await warrantsOf(gw.users.auditor);
    expect(res.status).toBe(200);
    const reads = await gw.db.select().from(auditEvents).where(eq(auditEvents.requestId, res.headers.get('x-request-id')!));
    expect(reads.map((e) => [e.action, e.actorUserId, e.inquiryId, e.details])).toEqual(
      res.body.warrants.map((w) => ['warrant.read', gw.users.auditor.id, id, { department: w.department, partId: expect.any(String), warrantId: w.warrantId, sha256: w.sha256 }]),
    );
    const everything = (await gw.db.select({ entry: auditLogEntries.entry }).from(auditLogEntries)).map((r) => r.entry).join('\n') + gw.logs.join('\n');
    for (const w of res.body.warrants) {
      expect(everything).not.toContain(w.warrant);
      expect(everything).not.toContain(w.warrant.split('.')[1]); // not even its payload
    }
  });

  it('gives a department operator its own department’s warrants only', async () => {
    const own = await warrantsOf(gw.users.departmentOperator);
    expect(own.status).toBe(200);
    expect(own.body.warrants.map((w) => w.department)).toEqual(['public_security']);
    const other = await warrantsOf(naturalResourcesOperator);
    expect(other.body.warrants.map((w) => [w.department, w.warrant])).toEqual([['natural_resources', answered.natural_resources!.warrant]]);
  });

  it('answers an approver who may see the inquiry with 403, and everyone else as if it did not exist', async () => {
    const approver = await warrantsOf(gw.users.approver);
    expect([approver.status, approver.error?.code]).toEqual([403, 'permission_denied']);
    expect(approver.error?.message).toMatch(/issued warrants are read by investigators of the requesting unit, auditors, and the operator/);
    const missing = await warrantsOf(gw.users.otherInvestigator, '00000000-0000-4000-8000-000000000000');
    for (const who of [gw.users.otherInvestigator, gw.users.administrator]) {
      const res = await warrantsOf(who);
      expect(res.status).toBe(404);
      expect({ ...res.error, requestId: '' }).toEqual({ ...missing.error, requestId: '' });
    }
    const unassigned = await gw.seedUser(gw.units.region, ['department_operator']); // an operator of no department
    expect((await warrantsOf(unassigned)).status).toBe(404);
    expect((await warrantsOf(gw.users.investigator, 'not-a-uuid')).status).toBe(404);
  });

  it('lists nothing, and logs no read, before any warrant was issued', async () => {
    const pending = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody());
    const res = await warrantsOf(gw.users.investigator, pending.body.id);
    expect([res.status, res.body.warrants]).toEqual([200, []]);
    expect(await gw.db.select().from(auditEvents).where(eq(auditEvents.requestId, res.headers.get('x-request-id')!))).toEqual([]);
  });
});
