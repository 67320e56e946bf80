import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway, type TestUser } from '../../testing/harness';

let gw: TestGateway;
const ids: Record<string, string> = {};

beforeAll(async () => {
  gw = await createTestGateway();
  const submit = async (name: string, by: TestUser) => {
    const res = await gw.as(by).submitInquiry(gw.inquiryBody());
    expect(res.status).toBe(201);
    ids[name] = res.body.id;
  };
  await submit('banner1', gw.users.investigator);
  await submit('banner2', gw.users.colleague);
  await submit('sibling', gw.users.siblingInvestigator);
  await submit('alxa', gw.users.otherInvestigator);
  await gw.as(gw.users.approver).reject(ids.banner2!);
});
afterAll(() => gw?.close());

const listed = async (user: TestUser, query: Record<string, string> = {}) => {
  const res = await gw.as(user).listInquiries(query);
  expect(res.status).toBe(200);
  return res.body.items.map((i) => i.id);
};

describe('GET /v1/inquiries', () => {
  it('shows investigators their own unit’s inquiries, newest first', async () => {
    expect(await listed(gw.users.investigator)).toEqual([ids.banner2, ids.banner1]);
    expect(await listed(gw.users.colleague)).toEqual([ids.banner2, ids.banner1]);
    expect(await listed(gw.users.siblingInvestigator)).toEqual([ids.sibling]);
    expect(await listed(gw.users.otherInvestigator)).toEqual([ids.alxa]);
  });

  it('shows approvers their unit’s subtree', async () => {
    expect(await listed(gw.users.approver)).toEqual([ids.sibling, ids.banner2, ids.banner1]);
    expect(await listed(gw.users.otherApprover)).toEqual([ids.alxa]);
    expect(await listed(gw.users.regionalApprover)).toEqual([ids.alxa, ids.sibling, ids.banner2, ids.banner1]);
    // A banner approver does not see the sibling banner.
    expect(await listed(gw.users.investigatingApprover)).toEqual([ids.banner2, ids.banner1]);
  });

  it('filters by state and limits', async () => {
    expect(await listed(gw.users.approver, { state: 'rejected' })).toEqual([ids.banner2]);
    expect(await listed(gw.users.approver, { state: 'pending_approval', limit: '1' })).toEqual([ids.sibling]);
    const bad = await gw.as(gw.users.approver).listInquiries({ limit: '0', state: 'done' });
    expect(bad.status).toBe(400);
    expect(bad.error?.details?.map((d) => d.path).sort()).toEqual(['limit', 'state']);
    const unknown = await gw.as(gw.users.approver).listInquiries({ unit: '152900' });
    expect(unknown.status).toBe(400);
  });

  it('refuses roles that read no inquiries', async () => {
    const res = await gw.as(gw.users.auditor).listInquiries();
    expect(res.status).toBe(403);
  });
});

describe('GET /v1/inquiries/:id', () => {
  it('returns the inquiry to its unit and to approvers above it', async () => {
    for (const user of [gw.users.investigator, gw.users.colleague, gw.users.approver, gw.users.regionalApprover]) {
      const res = await gw.as(user).getInquiry(ids.banner2!);
      expect(res.status, user.username).toBe(200);
      expect(res.body).toMatchObject({ id: ids.banner2, unitId: '150627', state: 'rejected', status: 'rejected' });
    }
  });

  it('answers another unit’s inquiry exactly like a missing one, and a malformed id too', async () => {
    const as = gw.as(gw.users.siblingInvestigator);
    const theirs = await as.getInquiry(ids.banner1!);
    const missing = await as.getInquiry('6f1c2a4e-0000-4000-8000-000000000000');
    const malformed = await as.getInquiry("1' or '1'='1");
    for (const res of [theirs, missing, malformed]) {
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: 'not_found', message: 'inquiry not found', requestId: res.headers.get('x-request-id') } });
      expect([...res.headers.keys()].sort()).toEqual([...theirs.headers.keys()].sort());
    }
  });
});
