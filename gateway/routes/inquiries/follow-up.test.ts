import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, inquiries } from '../../db/schema';
import { createTestGateway, type TestGateway } from '../../testing/harness';

let gw: TestGateway;
let parent: { id: string; caseReference: string; legalBasis: string };

const followUpOf = (p: typeof parent, overrides: Record<string, unknown> = {}) =>
  gw.inquiryBody({ caseReference: p.caseReference, legalBasis: p.legalBasis, subjects: [{ kind: 'person', id: '150627197001010022' }], categories: ['real_estate'], parentId: p.id, ...overrides });

beforeAll(async () => {
  gw = await createTestGateway();
  const submitted = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody());
  expect((await gw.as(gw.users.approver).approve(submitted.body.id)).status).toBe(200);
  parent = submitted.body;
});
afterAll(() => gw?.close());

describe('POST /v1/inquiries with parentId (follow-up inquiry)', () => {
  it('links the follow-up to its parent, needs its own approval, and logs the link', async () => {
    const res = await gw.as(gw.users.investigator).submitInquiry(followUpOf(parent));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ parentId: parent.id, caseReference: parent.caseReference, status: 'pending_approval' });
    expect((await gw.as(gw.users.investigator).getInquiry(res.body.id)).body.parentId).toBe(parent.id);
    const listed = (await gw.as(gw.users.investigator).listInquiries({ limit: '200' })).body.items;
    expect(listed.find((i) => i.id === res.body.id)?.parentId).toBe(parent.id);
    expect(listed.find((i) => i.id === parent.id)?.parentId).toBeNull();
    const [submitted] = await gw.db.select().from(auditEvents).where(and(eq(auditEvents.action, 'inquiry.submitted'), eq(auditEvents.inquiryId, res.body.id)));
    expect(submitted!.details).toMatchObject({ parentId: parent.id, categories: ['real_estate'] });
    // A colleague of the same unit may follow up too: the parent is readable to them.
    const second = await gw.as(gw.users.colleague).submitInquiry(followUpOf(parent));
    expect(second.status).toBe(201);
    // The parent names its follow-ups itself, oldest first: lineage does not depend on the listing's page.
    expect((await gw.as(gw.users.investigator).getInquiry(parent.id)).body.followUps).toEqual(expect.arrayContaining([res.body.id, second.body.id]));
    const named = (await gw.as(gw.users.investigator).getInquiry(parent.id)).body.followUps!;
    expect(named.indexOf(res.body.id)).toBeLessThan(named.indexOf(second.body.id));
    expect((await gw.as(gw.users.investigator).getInquiry(res.body.id)).body.followUps).toEqual([]);
  });

  it('refuses a follow-up that changes the case reference or the legal basis, naming the field', async () => {
    for (const [field, value] of [['caseReference', 'OTHER-1'], ['legalBasis', 'another law']] as const) {
      const res = await gw.as(gw.users.investigator).submitInquiry(followUpOf(parent, { [field]: value }));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: { code: 'invalid_argument', details: [{ path: field }] } });
    }
  });

  it('refuses a parent that is not approved yet', async () => {
    const pending = (await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody())).body;
    const res = await gw.as(gw.users.investigator).submitInquiry(followUpOf(pending));
    expect(res.status).toBe(400);
    expect((res.body as unknown as { error: { message: string } }).error.message).toBe("parentId: the parent inquiry is pending_approval; only an approved inquiry's answer can be followed up");
  });

  it('answers a parent of another unit exactly like a missing one, and writes nothing', async () => {
    const before = await gw.db.select().from(inquiries);
    const missing = await gw.as(gw.users.investigator).submitInquiry(followUpOf({ ...parent, id: '00000000-0000-4000-8000-000000000000' }));
    const elsewhere = await gw.as(gw.users.otherInvestigator).submitInquiry(followUpOf(parent));
    for (const res of [missing, elsewhere]) {
      expect(res.status).toBe(400);
      expect((res.body as unknown as { error: unknown }).error).toMatchObject({ code: 'invalid_argument', message: 'parentId: no inquiry with this id that you may read' });
    }
    expect(await gw.db.select().from(inquiries)).toHaveLength(before.length);
    const malformed = await gw.as(gw.users.investigator).submitInquiry(followUpOf({ ...parent, id: 'not-a-uuid' }));
    expect(malformed.status).toBe(400);
    expect((malformed.body as unknown as { error: { details: unknown } }).error.details).toEqual([expect.objectContaining({ path: 'parentId' })]);
  });
});
