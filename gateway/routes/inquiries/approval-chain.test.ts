import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, inquiries, inquiryDecisions, inquiryParts } from '../../db/schema';
import { expireOverdueInquiries } from '../../services/inquiry/expire';
import type { InquiryView } from '../../services/inquiry/view';
import { createTestGateway, type TestGateway, type TestUser } from '../../testing/harness';

/**
 * The approval chains of policies/approvals.json as the HTTP API runs them: which approvals each
 * sensitivity needs, in which order, from whom; and what can no longer be approved.
 */
let now = new Date('2025-03-03T02:00:00Z');
let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway({ clock: () => now });
});
afterAll(() => gw?.close());

const ORDOS = '150600';
const REGION = '150000';

async function submit(categories: string[], by: TestUser = gw.users.investigator): Promise<InquiryView> {
  const res = await gw.as(by).submitInquiry(gw.inquiryBody({ categories }));
  expect(res.status, JSON.stringify(res.error)).toBe(201);
  return res.body;
}
const actionsOf = async (id: string) =>
  (await gw.db.select().from(auditEvents).where(eq(auditEvents.inquiryId, id)).orderBy(auditEvents.id)).map((e) => e.action);
const partsOf = (id: string) => gw.db.select().from(inquiryParts).where(eq(inquiryParts.inquiryId, id));

describe('approval chains', () => {
  it('standard data: one approver of the requester’s league, then the fan-out', async () => {
    const inquiry = await submit(['household', 'household_members']);
    expect(inquiry).toMatchObject({
      sensitivity: 'standard',
      status: 'pending_approval',
      approvals: { remaining: 1, next: { index: 0, role: 'approver', unitId: ORDOS }, steps: [{ role: 'approver', unitId: ORDOS, count: 1, approvedBy: [] }] },
    });
    const wakes = gw.fanout.wakes;
    const res = await gw.as(gw.users.approver).approve(inquiry.id);
    expect(res.body).toMatchObject({ state: 'approved', approvals: { remaining: 0, next: null, steps: [{ approvedBy: [gw.users.approver.username] }] } });
    expect(gw.fanout.wakes).toBe(wakes + 1);
    expect(await actionsOf(inquiry.id)).toEqual(['inquiry.submitted', 'inquiry.approved']);
  });

  it('sensitive data: the league approver, then a regional approver; no fan-out before the last', async () => {
    const inquiry = await submit(['household', 'bank_accounts']);
    expect(inquiry.sensitivity).toBe('sensitive');
    expect(inquiry.approvals.steps.map((s) => [s.role, s.unitId, s.count])).toEqual([
      ['approver', ORDOS, 1],
      ['regional_approver', REGION, 1],
    ]);
    // The region cannot go first: the chain is ordered.
    const early = await gw.as(gw.users.regionalApprover).approve(inquiry.id);
    expect(early.status).toBe(403);
    expect(early.error?.message).toBe('the next approval (step 1 of 2) must come from an approver of Ordos City (150600)');

    const wakes = gw.fanout.wakes;
    const first = await gw.as(gw.users.approver).approve(inquiry.id);
    expect(first.body).toMatchObject({ state: 'pending_approval', status: 'pending_approval', approvals: { remaining: 1, next: { index: 1, role: 'regional_approver', unitId: REGION } } });
    expect(await partsOf(inquiry.id)).toHaveLength(0);
    expect(gw.fanout.wakes).toBe(wakes);

    const last = await gw.as(gw.users.regionalApprover).approve(inquiry.id);
    expect(last.body).toMatchObject({ state: 'approved', approvals: { remaining: 0 } });
    expect((await partsOf(inquiry.id)).map((p) => p.department).sort()).toEqual(['bank', 'public_security']);
    expect(gw.fanout.wakes).toBe(wakes + 1);
    expect(await actionsOf(inquiry.id)).toEqual(['inquiry.submitted', 'authorization.denied', 'inquiry.approval_added', 'inquiry.approved']);
  });

  it('highly sensitive data: the league approver and then two distinct regional approvers', async () => {
    const inquiry = await submit(['bank_transactions']);
    expect(inquiry).toMatchObject({ sensitivity: 'highly_sensitive', approvals: { remaining: 3 } });
    expect((await gw.as(gw.users.approver).approve(inquiry.id)).body.approvals.remaining).toBe(2);
    const second = await gw.as(gw.users.regionalApprover).approve(inquiry.id);
    expect(second.body).toMatchObject({ state: 'pending_approval', approvals: { remaining: 1, next: { index: 1 } } });

    // The same regional approver cannot count twice.
    const again = await gw.as(gw.users.regionalApprover).approve(inquiry.id);
    expect(again.status).toBe(403);
    expect(again.error?.message).toBe('you have already decided this inquiry; each approval must come from a different person');

    const third = await gw.as(gw.users.regionalApprover2).approve(inquiry.id);
    expect(third.body).toMatchObject({
      state: 'approved',
      approvals: {
        remaining: 0,
        steps: [{ approvedBy: [gw.users.approver.username] }, { approvedBy: [gw.users.regionalApprover.username, gw.users.regionalApprover2.username] }],
      },
    });
    const decisions = await gw.db.select().from(inquiryDecisions).where(eq(inquiryDecisions.inquiryId, inquiry.id));
    expect(decisions.map((d) => d.chainStep).sort()).toEqual([0, 1, 1]);
  });

  it('nobody approves their own inquiry, even an approver who also investigates', async () => {
    const inquiry = await submit(['bank_accounts'], gw.users.investigatingApprover);
    const res = await gw.as(gw.users.investigatingApprover).approve(inquiry.id);
    expect(res.status).toBe(403);
    expect(res.error?.message).toBe('nobody decides an inquiry they submitted');
  });

  it('an inquiry from before approval chains gets the current chain on its first decision', async () => {
    const [legacy] = await gw.db
      .insert(inquiries)
      .values({
        unitId: gw.units.banner,
        createdBy: gw.users.investigator.id,
        caseReference: 'EJH-2018-001',
        legalBasis: 'Supervision Law',
        purpose: 'submitted before the upgrade',
        subjects: [{ kind: 'person', id: '150627196803120034' }],
        categories: ['bank_accounts'],
      })
      .returning();
    expect((await gw.as(gw.users.approver).approve(legacy!.id)).body).toMatchObject({
      state: 'pending_approval',
      sensitivity: 'sensitive',
      approvals: { remaining: 1, next: { role: 'regional_approver', unitId: REGION } },
    });
    expect((await gw.as(gw.users.regionalApprover).approve(legacy!.id)).body.state).toBe('approved');
  });

  it('an approver of the chain acts only within their part of the tree', async () => {
    const inquiry = await submit(['household']);
    expect((await gw.as(gw.users.otherApprover).approve(inquiry.id)).status).toBe(404);
    expect((await gw.as(gw.users.otherApprover).reject(inquiry.id)).status).toBe(404);
  });
});

describe('what can no longer be approved', () => {
  it('a rejected inquiry: the rejection is final and carries its reason', async () => {
    const inquiry = await submit(['bank_accounts']);
    await gw.as(gw.users.approver).approve(inquiry.id);
    const rejected = await gw.as(gw.users.regionalApprover).reject(inquiry.id, 'Bank data is not justified by the case file');
    expect(rejected.body).toMatchObject({
      state: 'rejected',
      status: 'rejected',
      decisions: [{ decision: 'approve' }, { decision: 'reject', username: gw.users.regionalApprover.username, comment: 'Bank data is not justified by the case file' }],
    });
    for (const user of [gw.users.regionalApprover2, gw.users.approver]) {
      const res = await gw.as(user).approve(inquiry.id);
      expect(res.status).toBe(409);
      expect(res.error?.message).toBe('the inquiry is already rejected');
    }
    expect((await gw.as(gw.users.investigator).withdraw(inquiry.id)).status).toBe(409);
    expect(await partsOf(inquiry.id)).toHaveLength(0);
  });

  it('a withdrawn inquiry: only its submitter withdraws, only while pending', async () => {
    const inquiry = await submit(['household']);
    const byColleague = await gw.as(gw.users.colleague).withdraw(inquiry.id);
    expect(byColleague.status).toBe(403);
    expect(byColleague.error?.message).toBe('only the investigator who submitted an inquiry withdraws it');
    expect((await gw.as(gw.users.approver).withdraw(inquiry.id)).status).toBe(403);
    expect((await gw.as(gw.users.otherInvestigator).withdraw(inquiry.id)).status).toBe(404);

    const res = await gw.as(gw.users.investigator).withdraw(inquiry.id, 'the subject has been identified otherwise');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'withdrawn', status: 'withdrawn' });
    const late = await gw.as(gw.users.approver).approve(inquiry.id);
    expect(late.status).toBe(409);
    expect(late.error?.message).toBe('the inquiry is already withdrawn');
    expect((await gw.as(gw.users.investigator).withdraw(inquiry.id)).status).toBe(409);
    const audit = await gw.db.select().from(auditEvents).where(eq(auditEvents.inquiryId, inquiry.id)).orderBy(auditEvents.id);
    expect(audit.find((e) => e.action === 'inquiry.withdrawn')).toMatchObject({
      actorUserId: gw.users.investigator.id,
      details: { reason: 'the subject has been identified otherwise', policyIds: ['submitter-withdraws'] },
    });
    expect((await gw.as(gw.users.investigator).listInquiries({ state: 'withdrawn' })).body.items.map((i) => i.id)).toContain(inquiry.id);
  });

  it('an expired inquiry: shown as expired from the moment it is due, written by the first action or the sweep', async () => {
    const a = await submit(['household']);
    const b = await submit(['household']);
    const c = await submit(['bank_accounts']);
    expect(a.expiresAt).toBe(new Date(now.getTime() + 7 * 86_400_000).toISOString());
    await gw.as(gw.users.approver).approve(c.id); // one approval of two: still pending, still expires
    const saved = now;
    now = new Date(a.expiresAt!);
    try {
      expect((await gw.as(gw.users.investigator).getInquiry(a.id)).body).toMatchObject({ state: 'expired', status: 'expired' });
      const expiredList = (await gw.as(gw.users.approver).listInquiries({ state: 'expired' })).body.items.map((i) => i.id);
      expect(expiredList).toEqual(expect.arrayContaining([a.id, b.id, c.id]));
      expect((await gw.as(gw.users.approver).listInquiries({ state: 'pending_approval' })).body.items.map((i) => i.id)).not.toContain(a.id);

      const late = await gw.as(gw.users.approver).approve(a.id);
      expect(late.status).toBe(409);
      expect(late.error?.message).toBe(`the inquiry expired at ${a.expiresAt} without being approved`);
      expect(await actionsOf(a.id)).toEqual(['inquiry.submitted', 'inquiry.expired']);
      expect((await gw.as(gw.users.approver).approve(a.id)).error?.message).toBe('the inquiry is already expired');

      expect(await expireOverdueInquiries(gw.db, gw.audit, now)).toBeGreaterThanOrEqual(2);
      expect(await actionsOf(b.id)).toEqual(['inquiry.submitted', 'inquiry.expired']);
      expect((await gw.as(gw.users.regionalApprover).approve(c.id)).status).toBe(409);
      expect(await partsOf(c.id)).toHaveLength(0);
    } finally {
      now = saved;
    }
  });
});

describe('entrusted mode', () => {
  it('a regional investigator runs an inquiry for a league: both units recorded, the league’s chain applies', async () => {
    const res = await gw.as(gw.users.regionalInvestigator).submitInquiry(gw.inquiryBody({ categories: ['household'], onBehalfOf: ORDOS }));
    expect(res.status, JSON.stringify(res.error)).toBe(201);
    expect(res.body).toMatchObject({ unitId: ORDOS, submittedFromUnitId: REGION, approvals: { next: { role: 'approver', unitId: ORDOS } } });
    const audit = await gw.db.select().from(auditEvents).where(eq(auditEvents.inquiryId, res.body.id));
    expect(audit[0]).toMatchObject({ actorUnitId: REGION, details: { onBehalfOf: ORDOS, policyIds: ['regional-investigator-submits-on-behalf-of-league'] } });
    // The submitter follows it; the league's own investigators and approvers see it too.
    for (const user of [gw.users.regionalInvestigator, gw.users.approver]) {
      expect((await gw.as(user).getInquiry(res.body.id)).status, user.username).toBe(200);
    }
    expect((await gw.as(gw.users.regionalInvestigator).listInquiries()).body.items.map((i) => i.id)).toContain(res.body.id);
    expect((await gw.as(gw.users.approver).approve(res.body.id)).body.state).toBe('approved');
  });

  it('is refused to banner investigators and for banners', async () => {
    const byBanner = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ onBehalfOf: ORDOS }));
    expect(byBanner.status).toBe(403);
    const forBanner = await gw.as(gw.users.regionalInvestigator).submitInquiry(gw.inquiryBody({ onBehalfOf: '150627' }));
    expect(forBanner.status).toBe(403);
    const nowhere = await gw.as(gw.users.regionalInvestigator).submitInquiry(gw.inquiryBody({ onBehalfOf: '159999' }));
    expect(nowhere.status).toBe(400);
    expect(nowhere.error?.details).toEqual([{ path: 'onBehalfOf', message: 'no unit 159999 in the directory' }]);
  });
});
