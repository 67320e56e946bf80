import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq, inArray } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalogue } from '../catalogue';
import type { Database } from '../db/client';
import { auditEvents, inquiryParts, results } from '../db/schema';
import { openTestDatabase } from '../db/testing';
import { answerFrames, FakeDepartmentDirectory, type FakeBehaviour } from '../departments/fake-client';
import { createAuditWriter } from '../services/audit/append-audit';
import { preparePart, seedApprovedInquiry } from './test-fixtures';
import { DEFAULT_CATALOGUE_FILE, startFanoutWorker, type FanoutWorkerOptions } from './worker';
import { jwkPair, newEd25519PrivateKey } from '../../proto/node/keys';

let database: Database;
let base: Omit<FanoutWorkerOptions, 'directory' | 'workerId'>;

beforeAll(async () => {
  database = await openTestDatabase();
  base = {
    db: database.db,
    signer: { privateJwk: { ...jwkPair(newEd25519PrivateKey()).privateJwk, kid: 'k1' }, pseudonymKey: randomBytes(32) },
    catalogue: await loadCatalogue(DEFAULT_CATALOGUE_FILE),
    logger: pino({ level: 'silent' }),
    pollIntervalMs: 60_000,
    leaseMs: 30_000,
    callDeadlineMs: 10_000,
    maxAttempts: 3,
    autoStart: false,
    audit: createAuditWriter(randomBytes(32)),
  };
});
afterAll(async () => {
  await database?.close();
});

/** An honest department that takes a little while, so the two workers' calls overlap. */
const slowHonest: FakeBehaviour = async function* (call) {
  for (const frame of answerFrames({ department: call.department, warrantId: String(call.claims.jti), ciphertext: randomBytes(300), records: 1, chunkSize: 100 })) {
    await sleep(1 + Math.floor(Math.random() * 4));
    yield frame;
  }
};

describe.runIf(process.env.TEST_DATABASE_URL)('two workers on one PostgreSQL', () => {
  it('process every part exactly once', async () => {
    const { db } = database;
    const partIds: string[] = [];
    for (let i = 0; i < 25; i++) {
      const { inquiryId } = await seedApprovedInquiry(db, { categories: ['household', 'real_estate'] });
      partIds.push((await preparePart(db, inquiryId, { department: 'public_security' })).id);
      partIds.push((await preparePart(db, inquiryId, { department: 'natural_resources' })).id);
    }
    const directory = new FakeDepartmentDirectory({ public_security: slowHonest, natural_resources: slowHonest });
    const workers = [1, 2].map((n) => startFanoutWorker({ ...base, directory, workerId: `replica-${n}`, concurrency: 4 }));

    const claimedBy = [0, 0];
    for (;;) {
      const counts = await Promise.all(workers.map((w) => w.runOnce()));
      counts.forEach((c, i) => (claimedBy[i]! += c));
      if (counts.every((c) => c === 0)) break;
    }
    await Promise.all(workers.map((w) => w.stop()));

    expect(claimedBy[0]).toBeGreaterThan(0);
    expect(claimedBy[1]).toBeGreaterThan(0);
    expect(claimedBy[0]! + claimedBy[1]!).toBe(partIds.length);
    // Each (inquiry, department) got exactly one warrant call.
    const called = directory.calls.map((c) => `${String(c.claims.inquiry_id)}/${c.department}`);
    expect(called).toHaveLength(partIds.length);
    expect(new Set(called).size).toBe(partIds.length);
    const parts = await db.select().from(inquiryParts).where(inArray(inquiryParts.id, partIds));
    expect(parts.every((p) => p.status === 'succeeded' && p.attempts === 1)).toBe(true);
    expect(await db.select().from(results).where(inArray(results.partId, partIds))).toHaveLength(partIds.length);
    const answered = await db.select().from(auditEvents).where(eq(auditEvents.action, 'department.answered'));
    expect(answered).toHaveLength(partIds.length);
  });
});

describe('a worker that lost its lease', () => {
  it('cannot overwrite the part that the worker which took it over completed', async () => {
    const { db } = database;
    await db.update(inquiryParts).set({ status: 'failed', leaseOwner: null });
    const { inquiryId } = await seedApprovedInquiry(db);
    const part = await preparePart(db, inquiryId, { nextAttemptAt: new Date(Date.now() - 1000) });
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const slowStarted = new Promise<void>((r) => (started = r));
    const directory = new FakeDepartmentDirectory({
      public_security: async function* (call) {
        if (call.number === 1) {
          started();
          await released; // stalls past its lease
        }
        yield* answerFrames({ department: call.department, warrantId: String(call.claims.jti), ciphertext: randomBytes(50), records: call.number, chunkSize: 10 });
      },
    });
    const t0 = Date.now();
    const stalled = startFanoutWorker({ ...base, directory, workerId: 'stalled', now: () => new Date(t0) });
    const successor = startFanoutWorker({ ...base, directory, workerId: 'successor', now: () => new Date(t0 + 30_001) });

    const first = stalled.runOnce();
    await slowStarted;
    expect(await successor.runOnce()).toBe(1);
    release();
    await first;

    const [row] = await db.select().from(inquiryParts).where(eq(inquiryParts.id, part.id));
    expect(row).toMatchObject({ status: 'succeeded', attempts: 2, warrantId: directory.calls[1]!.claims.jti });
    const stored = await db.select().from(results).where(eq(results.partId, part.id));
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ warrantId: directory.calls[1]!.claims.jti, records: 2 });
    const answered = await db.select().from(auditEvents).where(eq(auditEvents.inquiryId, inquiryId));
    expect(answered.filter((e) => e.action === 'department.answered')).toHaveLength(1);
  });
});
