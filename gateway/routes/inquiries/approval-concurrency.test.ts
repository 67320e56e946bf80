import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, inquiryDecisions, inquiryParts } from '../../db/schema';
import { createTestGateway, type TestGateway, type TestUser } from '../../testing/harness';

/**
 * Approvers acting on one inquiry at the same moment. On PostgreSQL (TEST_DATABASE_URL) the
 * requests run as truly concurrent transactions on separate connections; on PGlite they queue
 * on its single connection, so there the test checks the outcome, not the race.
 */
let gw: TestGateway;
let regionalApprovers: TestUser[];
beforeAll(async () => {
  gw = await createTestGateway();
  regionalApprovers = await Promise.all(Array.from({ length: 6 }, () => gw.seedUser(gw.units.region, ['regional_approver'])));
});
afterAll(() => gw?.close());

const ROUNDS = 4;

describe(`concurrent approvals (${process.env.TEST_DATABASE_URL ? 'PostgreSQL, real concurrency' : 'PGlite, serialized'})`, () => {
  it('six regional approvers at once on a step that needs two: exactly two count, the chain completes once', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const submitted = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ categories: ['bank_transactions', 'household'] }));
      const id = submitted.body.id;
      expect((await gw.as(gw.users.approver).approve(id)).status).toBe(200);
      const wakes = gw.fanout.wakes;

      const responses = await Promise.all(regionalApprovers.map((user) => gw.as(user).approve(id, `round ${round}`)));
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses, JSON.stringify(responses.map((r) => r.error))).toEqual([200, 200, 409, 409, 409, 409]);
      for (const r of responses.filter((r) => r.status === 409)) expect(r.error?.message).toBe('the inquiry is already approved');

      const decisions = await gw.db.select().from(inquiryDecisions).where(eq(inquiryDecisions.inquiryId, id));
      expect(decisions.map((d) => d.chainStep).sort()).toEqual([0, 1, 1]);
      expect(new Set(decisions.map((d) => d.userId)).size).toBe(3);
      const parts = await gw.db.select().from(inquiryParts).where(eq(inquiryParts.inquiryId, id));
      expect(parts.map((p) => p.department).sort()).toEqual(['bank', 'public_security']);
      const approvedEntries = await gw.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.inquiryId, id), eq(auditEvents.action, 'inquiry.approved')));
      expect(approvedEntries).toHaveLength(1);
      expect(gw.fanout.wakes).toBe(wakes + 1);
      const view = await gw.as(gw.users.investigator).getInquiry(id);
      expect(view.body).toMatchObject({ state: 'approved', approvals: { remaining: 0 } });
    }
  });

  it('one approver sending the same approval five times at once is counted once', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const submitted = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ categories: ['bank_accounts'] }));
      const id = submitted.body.id;
      const responses = await Promise.all(Array.from({ length: 5 }, () => gw.as(gw.users.approver).approve(id)));
      expect(responses.map((r) => r.status).sort()).toEqual([200, 403, 403, 403, 403]);
      const decisions = await gw.db.select().from(inquiryDecisions).where(eq(inquiryDecisions.inquiryId, id));
      expect(decisions).toHaveLength(1);
      const view = await gw.as(gw.users.investigator).getInquiry(id);
      expect(view.body).toMatchObject({ state: 'pending_approval', approvals: { remaining: 1, next: { role: 'regional_approver' } } });
    }
  });

  it('an approval racing a withdrawal: one of them wins, never both', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const submitted = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ categories: ['household'] }));
      const id = submitted.body.id;
      const [approval, withdrawal] = await Promise.all([gw.as(gw.users.approver).approve(id), gw.as(gw.users.investigator).withdraw(id)]);
      expect([approval.status, withdrawal.status].sort()).toEqual([200, 409]);
      const state = (await gw.as(gw.users.investigator).getInquiry(id)).body.state;
      expect(state).toBe(approval.status === 200 ? 'approved' : 'withdrawn');
      const parts = await gw.db.select().from(inquiryParts).where(eq(inquiryParts.inquiryId, id));
      expect(parts.length > 0).toBe(state === 'approved');
    }
  });
});
