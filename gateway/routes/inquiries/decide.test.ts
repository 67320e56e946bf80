import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCatalogue } from '../../catalogue';
import { auditEvents, inquiryDecisions, inquiryParts } from '../../db/schema';
import { createTestGateway, type TestGateway, type TestUser } from '../../testing/harness';

const NOW = new Date('2024-05-20T08:00:00Z');
let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway({ clock: () => NOW, env: { QIAO_PART_DEADLINE: '20m' } });
});
afterAll(() => gw?.close());

async function submit(by: TestUser = gw.users.investigator, categories = ['household', 'household_members', 'real_estate']) {
  const res = await gw.as(by).submitInquiry(gw.inquiryBody({ categories }));
  expect(res.status).toBe(201);
  return res.body.id;
}
const auditOf = (id: string) => gw.db.select().from(auditEvents).where(eq(auditEvents.inquiryId, id)).orderBy(auditEvents.id);
const partsOf = (id: string) => gw.db.select().from(inquiryParts).where(eq(inquiryParts.inquiryId, id)).orderBy(inquiryParts.department);
const decisionsOf = (id: string) => gw.db.select().from(inquiryDecisions).where(eq(inquiryDecisions.inquiryId, id));

describe('POST /v1/inquiries/:id/approve', () => {
  it('approves, creates one part per department with its deadline, audits, then wakes the fan-out', async () => {
    const id = await submit();
    const wakes = gw.fanout.wakes;
    const res = await gw.as(gw.users.approver).approve(id, 'Scope matches the case file');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id,
      state: 'approved',
      status: 'running',
      decisions: [{ username: gw.users.approver.username, decision: 'approve', comment: 'Scope matches the case file' }],
      parts: [
        { department: 'natural_resources', categories: ['real_estate'], status: 'pending', attempts: 0, failureReason: null, completedAt: null },
        { department: 'public_security', categories: ['household', 'household_members'], status: 'pending', attempts: 0 },
      ],
    });
    const parts = await partsOf(id);
    expect(parts.map((p) => p.deadlineAt.toISOString())).toEqual(['2024-05-20T08:20:00.000Z', '2024-05-20T08:20:00.000Z']);
    // Due by the gateway's clock, which the worker's claim compares with (in milliseconds): not by
    // the database's, microseconds later, which a claim woken in the same millisecond missed.
    expect(parts.map((p) => p.nextAttemptAt.toISOString())).toEqual([NOW.toISOString(), NOW.toISOString()]);
    expect((await auditOf(id)).map((e) => [e.action, e.actorUserId, e.requestId])).toEqual([
      ['inquiry.submitted', gw.users.investigator.id, expect.any(String)],
      ['inquiry.approved', gw.users.approver.id, res.headers.get('x-request-id')],
    ]);
    expect((await auditOf(id))[1]?.details).toMatchObject({ departments: ['natural_resources', 'public_security'] });
    expect(gw.fanout.wakes).toBe(wakes + 1);
  });

  it('answers each decision with the view a read then shows, though it reads none after writing', async () => {
    const reread = async (id: string) => (await gw.as(gw.users.investigator).getInquiry(id)).body;
    // Two steps (sensitive data): a decision that adds an approval, then the one that completes the chain.
    const id = await submit(gw.users.investigator, ['household', 'real_estate', 'bank_accounts']);
    const first = await gw.as(gw.users.approver).approve(id, 'first step');
    expect(first.body.state).toBe('pending_approval');
    expect(first.body).toEqual(await reread(id));
    const last = await gw.as(gw.users.regionalApprover).approve(id, 'second step');
    expect(last.body.parts.map((p) => p.department)).toEqual(['bank', 'natural_resources', 'public_security']);
    expect(last.body).toEqual(await reread(id));
    const rejected = await submit();
    const rejection = await gw.as(gw.users.approver).reject(rejected, 'out of scope');
    expect(rejection.body.state).toBe('rejected');
    expect(rejection.body).toEqual(await reread(rejected));
  });

  it('lets only the approver the chain names approve: a regional approver cannot stand in for the league', async () => {
    const id = await submit(gw.users.investigator, ['household']);
    const byRegion = await gw.as(gw.users.regionalApprover).approve(id);
    expect(byRegion.status).toBe(403);
    expect(byRegion.error?.message).toBe('the next approval (step 1 of 1) must come from an approver of Ordos City (150600)');
    const res = await gw.as(gw.users.approver).approve(id);
    expect(res.status).toBe(200);
    expect(res.body.parts.map((p) => p.department)).toEqual(['public_security']);
  });

  it('refuses a second decision with 409, writing nothing and waking nobody', async () => {
    const id = await submit();
    expect((await gw.as(gw.users.approver).approve(id)).status).toBe(200);
    const wakes = gw.fanout.wakes;
    const auditBefore = (await auditOf(id)).length;
    for (const again of [() => gw.as(gw.users.regionalApprover).approve(id), () => gw.as(gw.users.regionalApprover).reject(id)]) {
      const res = await again();
      expect(res.status).toBe(409);
      expect(res.error).toMatchObject({ code: 'failed_precondition', message: 'the inquiry is already approved' });
    }
    expect(await partsOf(id)).toHaveLength(2);
    expect(await decisionsOf(id)).toHaveLength(1);
    expect(await auditOf(id)).toHaveLength(auditBefore);
    expect(gw.fanout.wakes).toBe(wakes);
  });

  it('refuses self-approval with 403 and records the refusal', async () => {
    const id = await submit(gw.users.investigatingApprover);
    const wakes = gw.fanout.wakes;
    const res = await gw.as(gw.users.investigatingApprover).approve(id);
    expect(res.status).toBe(403);
    expect(res.error).toMatchObject({ code: 'permission_denied', message: 'nobody decides an inquiry they submitted' });
    const inquiry = await gw.as(gw.users.investigatingApprover).getInquiry(id);
    expect(inquiry.body).toMatchObject({ state: 'pending_approval', decisions: [], parts: [] });
    expect((await auditOf(id)).at(-1)).toMatchObject({
      action: 'authorization.denied',
      actorUserId: gw.users.investigatingApprover.id,
      requestId: res.headers.get('x-request-id'),
      details: { attempted: 'inquiry.approve', reason: 'nobody decides an inquiry they submitted' },
    });
    expect(gw.fanout.wakes).toBe(wakes);
    // Another approver of the same subtree may.
    expect((await gw.as(gw.users.approver).approve(id)).status).toBe(200);
  });

  it('refuses investigators with 403 and approvers of other leagues with 404, recording both', async () => {
    const id = await submit();
    const byColleague = await gw.as(gw.users.colleague).approve(id);
    expect(byColleague.status).toBe(403);
    expect(byColleague.error?.message).toBe('the next approval (step 1 of 1) must come from an approver of Ordos City (150600)');
    const byOther = await gw.as(gw.users.otherApprover).approve(id);
    expect(byOther.status).toBe(404);
    expect(byOther.error?.message).toBe('inquiry not found');
    expect((await auditOf(id)).slice(1).map((e) => [e.action, e.actorUserId, (e.details as { attempted: string }).attempted])).toEqual([
      ['authorization.denied', gw.users.colleague.id, 'inquiry.approve'],
      ['authorization.denied', gw.users.otherApprover.id, 'inquiry.approve'],
    ]);
    expect(await decisionsOf(id)).toHaveLength(0);
  });

  it('needs a comment', async () => {
    const id = await submit();
    for (const comment of ['', '  ', 42]) {
      const res = await gw.as(gw.users.approver).approve(id, comment);
      expect(res.status).toBe(400);
      expect(res.error?.details?.[0]?.path).toBe('comment');
    }
    expect(await decisionsOf(id)).toHaveLength(0);
  });

  it('rolls the decision back when the parts cannot be created', async () => {
    const id = await submit(gw.users.investigator, ['household', 'real_estate']);
    // A second app on the same database whose catalogue has since lost real_estate.
    const narrowed = await createTestGateway({
      database: gw.database,
      clock: () => NOW,
      catalogue: parseCatalogue(
        { categories: { household: { department: 'public_security', fields: ['household_id'], sensitivity: 'standard' } } },
        'narrowed.json',
      ),
    });
    const res = await narrowed.as(narrowed.users.approver).approve(id);
    expect(res.status).toBe(409);
    expect(res.error?.message).toBe('the inquiry names a category that is no longer in the catalogue');
    expect(await decisionsOf(id)).toHaveLength(0);
    expect(await partsOf(id)).toHaveLength(0);
    expect((await auditOf(id)).map((e) => e.action)).toEqual(['inquiry.submitted']);
    expect((await gw.as(gw.users.investigator).getInquiry(id)).body.state).toBe('pending_approval');
    expect(narrowed.fanout.wakes).toBe(0);
  });
});

describe('POST /v1/inquiries/:id/reject', () => {
  it('rejects with the comment, creates no parts, audits, wakes nobody', async () => {
    const id = await submit();
    const wakes = gw.fanout.wakes;
    const res = await gw.as(gw.users.approver).reject(id, 'Legal basis does not cover bank data');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      state: 'rejected',
      status: 'rejected',
      parts: [],
      decisions: [{ username: gw.users.approver.username, decision: 'reject', comment: 'Legal basis does not cover bank data' }],
    });
    expect((await auditOf(id)).map((e) => e.action)).toEqual(['inquiry.submitted', 'inquiry.rejected']);
    expect(await partsOf(id)).toHaveLength(0);
    expect(gw.fanout.wakes).toBe(wakes);
    expect((await gw.as(gw.users.regionalApprover).approve(id)).status).toBe(409);
  });

  it('refuses self-rejection and records it', async () => {
    const id = await submit(gw.users.investigatingApprover);
    const res = await gw.as(gw.users.investigatingApprover).reject(id);
    expect(res.status).toBe(403);
    expect((await auditOf(id)).at(-1)?.details).toMatchObject({ attempted: 'inquiry.reject' });
  });
});
