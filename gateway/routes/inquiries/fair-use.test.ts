import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { policyDay } from '../../services/inquiry/fair-use';
import { residentId } from '../../testing/subjects';
import { createTestGateway, type TestGateway } from '../../testing/harness';

/** Fair use: daily limits per investigator and per unit from policies/approvals.json, answered with 429. */
let now: Date;
let gw: TestGateway;
// A gateway per test: the limits count every inquiry of the day, so each test makes its own.
beforeEach(async () => {
  now = new Date('2025-06-10T15:30:00Z'); // 23:30 in Beijing: the policy day ends in 30 minutes
  gw = await createTestGateway({
    clock: () => now,
    adjustApprovals: (p) => ({
      ...p,
      fairUse: { ...p.fairUse, perInvestigator: { inquiriesPerDay: 3, subjectsPerDay: 5 }, perUnit: { inquiriesPerDay: 4, subjectsPerDay: 100 } },
    }),
  });
});
afterEach(() => gw?.close());

/** The investigator submits the three inquiries a day allows. */
async function useUpTheInvestigatorsDay() {
  for (let i = 0; i < 3; i++) expect((await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody())).status).toBe(201);
}

const subjects = (n: number) => Array.from({ length: n }, (_, i) => ({ kind: 'person', id: residentId('150627', `19${60 + i}0101`) }));

describe('fair-use limits', () => {
  it('counts days in the policy’s time zone', () => {
    expect(policyDay(new Date('2025-06-10T15:30:00Z'), 480)).toEqual({ start: new Date('2025-06-09T16:00:00Z'), end: new Date('2025-06-10T16:00:00Z') });
    expect(policyDay(new Date('2025-06-10T16:00:00Z'), 480).start).toEqual(new Date('2025-06-10T16:00:00Z'));
    expect(policyDay(new Date('2025-06-10T02:00:00Z'), -300).start).toEqual(new Date('2025-06-09T05:00:00Z'));
  });

  it('refuses the investigator’s inquiry past the daily count with 429, the limit and when it resets', async () => {
    await useUpTheInvestigatorsDay();
    const over = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody());
    expect(over.status).toBe(429);
    expect(over.error).toMatchObject({
      code: 'resource_exhausted',
      message: 'fair-use limit reached: 3 inquiries per day per investigator; the limit resets at 2025-06-10T16:00:00.000Z',
      details: [{ path: 'fairUse.perInvestigator.inquiriesPerDay', message: 'limit 3, resets at 2025-06-10T16:00:00.000Z' }],
    });
    expect(over.headers.get('retry-after')).toBe('1800'); // 23:30 → midnight in Beijing

    // Withdrawing gives nothing back.
    const mine = (await gw.as(gw.users.investigator).listInquiries()).body.items[0]!;
    expect((await gw.as(gw.users.investigator).withdraw(mine.id)).status).toBe(200);
    expect((await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody())).status).toBe(429);
  });

  it('counts the unit’s inquiries together, and subjects as well as inquiries', async () => {
    await useUpTheInvestigatorsDay();
    // The colleague may ask, but the unit has one inquiry left today (4 per unit, 3 used).
    const tooMany = await gw.as(gw.users.colleague).submitInquiry(gw.inquiryBody({ subjects: subjects(6) }));
    expect(tooMany.status).toBe(429);
    expect(tooMany.error?.message).toBe(
      'fair-use limit reached: 5 subjects per day (0 used today, this inquiry names 6) per investigator; the limit resets at 2025-06-10T16:00:00.000Z',
    );
    expect((await gw.as(gw.users.colleague).submitInquiry(gw.inquiryBody({ subjects: subjects(2) }))).status).toBe(201);
    const unitFull = await gw.as(gw.users.colleague).submitInquiry(gw.inquiryBody());
    expect(unitFull.status).toBe(429);
    expect(unitFull.error?.details?.[0]?.path).toBe('fairUse.perUnit.inquiriesPerDay');
    // Another unit is not affected.
    expect((await gw.as(gw.users.siblingInvestigator).submitInquiry(gw.inquiryBody())).status).toBe(201);
  });

  it('resets when the policy day turns', async () => {
    await useUpTheInvestigatorsDay();
    expect((await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody())).status).toBe(429);
    now = new Date('2025-06-10T16:00:00Z');
    expect((await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody())).status).toBe(201);
  });

  it('lets no concurrent burst slip past the limit', async () => {
    now = new Date('2025-06-12T03:00:00Z');
    const results = await Promise.all(Array.from({ length: 6 }, () => gw.as(gw.users.otherInvestigator).submitInquiry(gw.inquiryBody())));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 201, 429, 429, 429]);
  });
});
