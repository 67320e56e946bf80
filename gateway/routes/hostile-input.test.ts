import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../db/schema';
import { flushDenialCounts } from '../services/audit/denial-limit';
import { createTestGateway, type TestGateway } from '../testing/harness';
import { residentId } from '../testing/subjects';

/**
 * (A driver error's log line is app.test.ts's.) What the hostile corpus of issue 14 found getting through: control characters in text fields,
 * impossible birth dates, and refusals that grew the audit log without bound.
 */

let now = new Date('2026-03-01T08:00:00Z');
let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway({ clock: () => now, env: { QIAO_DENIALS_PER_MINUTE: '3' } });
});
afterAll(() => gw?.close());

const NUL = '\u0000';

describe('control characters', () => {
  type Case = { field: string; send: (bad: string) => Promise<{ status: number; error?: { code: string; message: string; details?: { path: string }[] } }> };
  const pending = async () => (await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody())).body.id as string;
  const cases: Case[] = [
    { field: 'caseReference', send: (bad) => gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ caseReference: `CASE-${bad}-1` })) },
    { field: 'legalBasis', send: (bad) => gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ legalBasis: `Art. 18${bad}` })) },
    { field: 'purpose', send: (bad) => gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ purpose: `${bad}check the household` })) },
    {
      field: 'subjects[0].name',
      send: (bad) => gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ subjects: [{ kind: 'person', id: residentId('150627'), name: `李${bad}某` }] })),
    },
    { field: 'categories[0]', send: (bad) => gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ categories: [`household${bad}`] })) },
    { field: 'comment', send: async (bad) => gw.as(gw.users.approver).approve(await pending(), `verified${bad}`) },
    { field: 'comment', send: async (bad) => gw.as(gw.users.approver).reject(await pending(), `no${bad}`) },
    { field: 'reason', send: async (bad) => gw.as(gw.users.investigator).withdraw(await pending(), `mistake${bad}`) },
    { field: 'username', send: (bad) => gw.request('POST', '/dev/token', { json: { username: `${gw.users.approver.username}${bad}` } }) },
    { field: 'id', send: (bad) => gw.as(gw.users.investigator).getInquiry(`abc${bad}`) },
    { field: 'department', send: async (bad) => gw.as(gw.users.investigator).download(await pending(), `bank${bad}`) },
  ];

  it.each(cases.flatMap((c) => ['\u0000', '\u001b', '\u007f', '\u0085'].map((bad) => ({ ...c, bad, code: bad.codePointAt(0)!.toString(16).padStart(4, '0').toUpperCase() }))))(
    'refuses U+$code in $field with 400 naming the field',
    async ({ field, send, bad, code }) => {
      const res = await send(bad);
      expect(res.status).toBe(400);
      expect(res.error?.code).toBe('invalid_argument');
      expect(res.error?.message).toContain(`${field}: contains the control character U+${code} at position`);
      expect(res.error?.details?.map((d) => d.path)).toContain(field);
    },
  );

  it('accepts tab and newline in free text', async () => {
    const res = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ purpose: 'first line\n\tsecond line' }));
    expect(res.status).toBe(201);
    expect(res.body.purpose).toBe('first line\n\tsecond line');
  });

  it('writes nothing and logs no driver error for any of them', () => {
    expect(gw.logs.join('\n')).not.toMatch(/unhandled error/);
  });
});

describe('resident ID birth dates', () => {
  it.each([
    ['in the future', '15062720991231003X', /has a birth date 20991231 in the future/],
    ['before 1900', residentId('150627', '18991231'), /has a birth date 18991231 before 1900/],
  ])('refuses one %s with 400 naming the subject', async (_, id, message) => {
    const res = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ subjects: [{ kind: 'person', id: residentId('150627') }, { kind: 'person', id }] }));
    expect(res.status).toBe(400);
    expect(res.error?.details?.map((d) => d.path)).toEqual(['subjects[1].id']);
    expect(res.error?.message).toMatch(message);
  });

  it('accepts one born today and one born on 1 January 1900', async () => {
    const today = now.toISOString().slice(0, 10).replaceAll('-', '');
    const res = await gw.as(gw.users.investigator).submitInquiry(
      gw.inquiryBody({ subjects: [{ kind: 'person', id: residentId('150627', today) }, { kind: 'person', id: residentId('150627', '19000101') }] }),
    );
    expect(res.status).toBe(201);
  });
});

describe('refused requests past the rate', () => {
  const denials = async (userId: string) => (await gw.db.select().from(auditEvents).where(eq(auditEvents.actorUserId, userId))).filter((e) => e.action === 'authorization.denied');

  it('answer 429 with Retry-After past QIAO_DENIALS_PER_MINUTE, and are audited as one entry counting them once the window ends', async () => {
    const user = await gw.seedUser(gw.units.banner, ['investigator']);
    const caller = gw.as(user);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await caller.request('GET', '/v1/audit/entries');
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
    }
    expect(statuses).toEqual([403, 403, 403, 429, 429, 429, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(await denials(user.id)).toHaveLength(3);

    // Nothing is written while the window is open; once it has ended, one entry counts the five.
    expect(await flushDenialCounts({ db: gw.db, limiter: gw.denials, audit: gw.audit }, { now })).toBe(0);
    now = new Date(now.getTime() + 61_000);
    expect(await flushDenialCounts({ db: gw.db, limiter: gw.denials, audit: gw.audit }, { now })).toBe(1);
    const entries = await denials(user.id);
    expect(entries).toHaveLength(4);
    expect(entries.at(-1)!.details).toMatchObject({ attempted: 'audit.read_entries', policyIds: [], repeated: { count: 5 } });

    // A new window audits one by one again.
    expect((await caller.request('GET', '/v1/audit/entries')).status).toBe(403);
    expect(await denials(user.id)).toHaveLength(5);
  });

  it('past the rate, an inquiry the caller may not read still answers 404 like a missing one', async () => {
    const id = (await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody())).body.id as string;
    const outsider = gw.as(await gw.seedUser(gw.units.otherLeague, ['approver']));
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await outsider.approve(id)).status);
    expect(statuses).toEqual([404, 404, 404, 404, 404]);
  });
});
