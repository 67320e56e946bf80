import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq, inArray } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalogue } from '../catalogue';
import type { Database } from '../db/client';
import { inquiryParts, results } from '../db/schema';
import { openTestDatabase } from '../db/testing';
import { DepartmentCallError } from '../departments/client';
import { answerFrames, answerWith, FakeDepartmentDirectory } from '../departments/fake-client';
import { createAuditWriter } from '../services/audit/append-audit';
import { seedApprovedInquiry } from './test-fixtures';
import { DEFAULT_CATALOGUE_FILE, startFanoutWorker } from './worker';
import { jwkPair, newEd25519PrivateKey } from '../../proto/node/keys';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

/** Resolves once `check` holds; the bound is only there so that a broken worker fails instead of hanging. */
async function until(check: () => Promise<boolean>, what: string, ms = 60_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await sleep(20);
  }
}

function signal() {
  let fire!: () => void;
  const fired = new Promise<void>((r) => (fire = r));
  return { fire, fired };
}

describe('no head-of-line blocking', () => {
  it("answers other departments' small parts while a large answer is held and a call is stalled", async () => {
    const { db } = database;
    const bigStarted = signal();
    const releaseBig = signal();
    const stallStarted = signal();
    const bigCiphertext = randomBytes(8 * 1024 * 1024);
    const directory = new FakeDepartmentDirectory({
      // A large answer: the first half arrives, then the department holds the rest back.
      bank: async function* (call) {
        const frames = answerFrames({ department: 'bank', warrantId: String(call.claims.jti), ciphertext: bigCiphertext, records: 1000, chunkSize: 64 * 1024 });
        const half = Math.floor(frames.length / 2);
        yield* frames.slice(0, half);
        bigStarted.fire();
        await releaseBig.fired;
        yield* frames.slice(half);
      },
      // A stalled call: nothing ever comes, until the worker gives up on it.
      natural_resources: async function* (call) {
        stallStarted.fire();
        await new Promise<void>((resolve) => call.signal!.addEventListener('abort', () => resolve(), { once: true }));
        throw new DepartmentCallError('CANCELLED', 'cancelled', call.department);
      },
      public_security: answerWith(randomBytes(2000), 2, { chunkSize: 500 }),
    });
    const w = startFanoutWorker({
      db,
      directory,
      signer: { privateJwk: { ...jwkPair(newEd25519PrivateKey()).privateJwk, kid: 'k1' }, pseudonymKey: randomBytes(32) },
      catalogue: await loadCatalogue(DEFAULT_CATALOGUE_FILE),
      logger: pino({ level: 'silent' }),
      workerId: 'replica-1',
      pollIntervalMs: 3_600_000, // only wake() brings new work: what an approval does
      leaseMs: 30_000,
      callDeadlineMs: 600_000,
      maxAttempts: 3,
      concurrency: 4,
      audit: createAuditWriter(randomBytes(32)),
    });
    try {
      const big = await seedApprovedInquiry(db, { categories: ['bank_transactions'], subjects: [{ kind: 'organisation', id: '93150627MA0N2K7P26' }] });
      const stalled = await seedApprovedInquiry(db, { categories: ['real_estate'] });
      w.wake();
      await Promise.all([bigStarted.fired, stallStarted.fired]);

      // Both slow calls hold their slots; small inquiries to another department come in, one by one.
      const small: string[] = [];
      for (let i = 0; i < 6; i++) {
        small.push((await seedApprovedInquiry(db, { categories: ['household'] })).inquiryId);
        w.wake();
      }
      await until(async () => {
        const parts = await db.select({ status: inquiryParts.status }).from(inquiryParts).where(inArray(inquiryParts.inquiryId, small));
        return parts.length === small.length && parts.every((p) => p.status === 'succeeded');
      }, 'every small part answered');

      // …and all that while the large answer and the stalled call were still in flight.
      const slow = await db.select().from(inquiryParts).where(inArray(inquiryParts.inquiryId, [big.inquiryId, stalled.inquiryId]));
      expect(slow.map((p) => p.status)).toEqual(['running', 'running']);
      expect(await db.select().from(results).where(inArray(results.inquiryId, small))).toHaveLength(small.length);

      releaseBig.fire();
      await until(async () => {
        const [row] = await db.select().from(inquiryParts).where(eq(inquiryParts.inquiryId, big.inquiryId));
        return row!.status === 'succeeded';
      }, 'the large answer recorded once released');
    } finally {
      releaseBig.fire();
      await w.stop();
    }
    // The stalled call was cancelled by the stop and its part handed back.
    const [stalledPart] = await db.select().from(inquiryParts).where(eq(inquiryParts.department, 'natural_resources'));
    expect(stalledPart).toMatchObject({ status: 'pending', leaseOwner: null, failureReason: 'interrupted: the worker stopped' });
  });
});
