import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/client';
import { inquiryParts } from '../db/schema';
import { openTestDatabase } from '../db/testing';
import { claimDueParts, TAKEN_OVER_REASON } from './claim';
import { preparePart, seedApprovedInquiry } from './test-fixtures';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database?.close();
});
beforeEach(async () => {
  // Each test sees only its own parts: earlier tests' leftovers are settled, never due.
  await database.db.update(inquiryParts).set({ status: 'succeeded', leaseOwner: null });
});

const T0 = new Date('2030-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('claimDueParts', () => {
  it('leases a due pending part, counts the attempt and sets the lease', async () => {
    const { db } = database;
    const { inquiryId } = await seedApprovedInquiry(db);
    const part = await preparePart(db, inquiryId, { nextAttemptAt: at(-1000), deadlineAt: at(3600_000) });

    const claimed = await claimDueParts(db, { workerId: 'w1', now: T0, leaseMs: 30_000, limit: 10 });

    expect(claimed.map((p) => p.id)).toEqual([part.id]);
    expect(claimed[0]).toMatchObject({ status: 'running', leaseOwner: 'w1', attempts: 1 });
    expect(claimed[0]!.leaseExpiresAt!.getTime()).toBe(at(30_000).getTime());
  });

  it('leaves a part whose next attempt is not due yet', async () => {
    const { db } = database;
    const { inquiryId } = await seedApprovedInquiry(db);
    const part = await preparePart(db, inquiryId, { nextAttemptAt: at(5000) });

    expect(await claimDueParts(db, { workerId: 'w1', now: T0, leaseMs: 30_000, limit: 10 })).toEqual([]);
    const later = await claimDueParts(db, { workerId: 'w1', now: at(5000), leaseMs: 30_000, limit: 10 });
    expect(later.map((p) => p.id)).toEqual([part.id]);
  });

  it('does not take a part another worker holds a live lease on', async () => {
    const { db } = database;
    const { inquiryId } = await seedApprovedInquiry(db);
    const part = await preparePart(db, inquiryId, { nextAttemptAt: at(-1000) });
    await claimDueParts(db, { workerId: 'w1', now: T0, leaseMs: 30_000, limit: 10 });

    expect(await claimDueParts(db, { workerId: 'w2', now: at(29_999), leaseMs: 30_000, limit: 10 })).toEqual([]);
    const [row] = await db.select().from(inquiryParts).where(eq(inquiryParts.id, part.id));
    expect(row).toMatchObject({ leaseOwner: 'w1', attempts: 1 });
  });

  it('takes over a running part whose lease expired (its worker crashed)', async () => {
    const { db } = database;
    const { inquiryId } = await seedApprovedInquiry(db);
    const part = await preparePart(db, inquiryId, { nextAttemptAt: at(-1000) });
    await claimDueParts(db, { workerId: 'w1', now: T0, leaseMs: 30_000, limit: 10 });

    const taken = await claimDueParts(db, { workerId: 'w2', now: at(30_001), leaseMs: 30_000, limit: 10 });
    expect(taken.map((p) => p.id)).toEqual([part.id]);
    expect(taken[0]).toMatchObject({ leaseOwner: 'w2', attempts: 2, status: 'running', takenOver: true, failureReason: TAKEN_OVER_REASON });
  });

  it('keeps the reason the part failed with before a takeover, once however often it is taken over', async () => {
    const { db } = database;
    const { inquiryId } = await seedApprovedInquiry(db);
    const part = await preparePart(db, inquiryId, { nextAttemptAt: at(-1000) });
    await db.update(inquiryParts).set({ failureReason: 'transport: bank unreachable' }).where(eq(inquiryParts.id, part.id));
    await claimDueParts(db, { workerId: 'w1', now: T0, leaseMs: 30_000, limit: 10 });

    const expected = `${TAKEN_OVER_REASON} (before that: transport: bank unreachable)`;
    const [first] = await claimDueParts(db, { workerId: 'w2', now: at(30_001), leaseMs: 30_000, limit: 10 });
    expect(first).toMatchObject({ leaseOwner: 'w2', takenOver: true, failureReason: expected });
    const [second] = await claimDueParts(db, { workerId: 'w3', now: at(60_002), leaseMs: 30_000, limit: 10 });
    expect(second).toMatchObject({ leaseOwner: 'w3', attempts: 3, takenOver: true, failureReason: expected });
  });

  it('keeps the reason of a pending part and does not call its claim a takeover', async () => {
    const { db } = database;
    const { inquiryId } = await seedApprovedInquiry(db);
    const part = await preparePart(db, inquiryId, { nextAttemptAt: at(-1000) });
    await db.update(inquiryParts).set({ failureReason: 'transport: bank unreachable' }).where(eq(inquiryParts.id, part.id));

    const [claimed] = await claimDueParts(db, { workerId: 'w1', now: T0, leaseMs: 30_000, limit: 10 });
    expect(claimed).toMatchObject({ id: part.id, takenOver: false, failureReason: 'transport: bank unreachable' });
  });

  it('never takes back a part the worker itself has in flight, even after its lease ran out', async () => {
    const { db } = database;
    const { inquiryId } = await seedApprovedInquiry(db);
    const part = await preparePart(db, inquiryId, { nextAttemptAt: at(-1000) });
    await claimDueParts(db, { workerId: 'w1', now: T0, leaseMs: 30_000, limit: 10 });

    expect(await claimDueParts(db, { workerId: 'w1', now: at(60_000), leaseMs: 30_000, limit: 10, exclude: [part.id] })).toEqual([]);
    const [row] = await db.select().from(inquiryParts).where(eq(inquiryParts.id, part.id));
    expect(row).toMatchObject({ leaseOwner: 'w1', attempts: 1 });
    // Another replica still takes it over.
    const taken = await claimDueParts(db, { workerId: 'w2', now: at(60_000), leaseMs: 30_000, limit: 10, exclude: ['00000000-0000-4000-8000-000000000000'] });
    expect(taken.map((p) => p.id)).toEqual([part.id]);
  });

  it('never takes finished parts', async () => {
    const { db } = database;
    const { inquiryId } = await seedApprovedInquiry(db, { categories: ['household', 'real_estate'] });
    await preparePart(db, inquiryId, { department: 'public_security', status: 'succeeded', nextAttemptAt: at(-1000) });
    await preparePart(db, inquiryId, { department: 'natural_resources', status: 'failed', nextAttemptAt: at(-1000) });

    expect(await claimDueParts(db, { workerId: 'w1', now: T0, leaseMs: 30_000, limit: 10 })).toEqual([]);
  });

  it('takes at most `limit` parts, the longest-waiting first', async () => {
    const { db } = database;
    const a = await seedApprovedInquiry(db, { categories: ['household', 'real_estate'] });
    const b = await seedApprovedInquiry(db);
    const first = await preparePart(db, a.inquiryId, { nextAttemptAt: at(-3000) });
    const second = await preparePart(db, b.inquiryId, { nextAttemptAt: at(-2000) });
    await preparePart(db, a.inquiryId, { department: 'natural_resources', nextAttemptAt: at(-1000) });

    const claimed = await claimDueParts(db, { workerId: 'w1', now: T0, leaseMs: 30_000, limit: 2 });
    expect(claimed.map((p) => p.id)).toEqual([first.id, second.id]);
    const rest = await claimDueParts(db, { workerId: 'w2', now: T0, leaseMs: 30_000, limit: 10 });
    expect(rest).toHaveLength(1);
  });
});
