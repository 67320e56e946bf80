import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalogue } from '../catalogue';
import type { Database } from '../db/client';
import { inquiryParts } from '../db/schema';
import { openTestDatabase } from '../db/testing';
import { DepartmentCallError } from '../departments/client';
import { answerWith, FakeDepartmentDirectory, type FakeBehaviour } from '../departments/fake-client';
import { createAuditWriter } from '../services/audit/append-audit';
import { seedApprovedInquiry } from './test-fixtures';
import { approvalWaker, DEFAULT_CATALOGUE_FILE, FANOUT_DUE_CHANNEL, startFanoutWorker, type FanoutWorkerOptions } from './worker';
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
    // No polling in these tests: only a notification can bring the work.
    pollIntervalMs: 3_600_000,
    leaseMs: 30_000,
    callDeadlineMs: 10_000,
    maxAttempts: 3,
    audit: createAuditWriter(randomBytes(32)),
  };
});
afterAll(async () => {
  await database?.close();
});

async function statusOf(inquiryId: string) {
  const [row] = await database.db.select().from(inquiryParts).where(eq(inquiryParts.inquiryId, inquiryId));
  return row!;
}

/** Resolves once `check` holds; the bound only turns a missed notification into a failure instead of a hang. */
async function until(check: () => Promise<boolean>, what: string, ms = 30_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await sleep(20);
  }
}

describe('replicas woken by the database (LISTEN/NOTIFY)', () => {
  it("an approval wakes its own replica's worker only while the approval's notification would not be heard", async () => {
    let wakes = 0;
    const waker = approvalWaker(database, { wake: () => void wakes++ });
    waker.wake();
    expect(wakes).toBe(1); // nobody listens: woken directly
    let heard = 0;
    const unlisten = await database.listen(FANOUT_DUE_CHANNEL, () => void heard++);
    try {
      await seedApprovedInquiry(database.db);
      waker.wake();
      expect(wakes).toBe(1); // left to the notification, which comes:
      await until(async () => heard > 0, "the approval's notification heard");
    } finally {
      await unlisten();
    }
    waker.wake();
    expect(wakes).toBe(2);
  });

  it('an approval elsewhere wakes an idle worker, and a part handed back by a stopping one is taken over at once', async () => {
    let hung!: () => void;
    const callHung = new Promise<void>((r) => (hung = r));
    const hang: FakeBehaviour = async function* (call) {
      hung();
      await new Promise<void>((resolve) => call.signal!.addEventListener('abort', () => resolve(), { once: true }));
      throw new DepartmentCallError('CANCELLED', 'cancelled', call.department);
    };
    const idle = startFanoutWorker({ ...base, directory: new FakeDepartmentDirectory({ public_security: answerWith(randomBytes(100), 1) }), workerId: 'idle' });
    const unlisten = await database.listen(FANOUT_DUE_CHANNEL, () => idle.wake());
    try {
      // Approved through the services of "another replica" (the fixture's wake() reaches no worker).
      const first = await seedApprovedInquiry(database.db);
      await until(async () => (await statusOf(first.inquiryId)).status === 'succeeded', 'the approval woke the idle worker');

      // A replica holding a part in a call stops (SIGTERM): it hands the part back, and the
      // notification of that hand-back brings it to the other replica at once, not after a lease.
      await idle.stop();
      const stopping = startFanoutWorker({ ...base, directory: new FakeDepartmentDirectory({ public_security: hang }), workerId: 'stopping', autoStart: false });
      const second = await seedApprovedInquiry(database.db);
      const running = stopping.runOnce();
      await callHung;
      expect(await statusOf(second.inquiryId)).toMatchObject({ status: 'running', leaseOwner: 'stopping' });
      // The other replica starts now: the part is not due to it (leased), it idles.
      const taking = startFanoutWorker({ ...base, directory: new FakeDepartmentDirectory({ public_security: answerWith(randomBytes(100), 1) }), workerId: 'taking' });
      const unlistenTaking = await database.listen(FANOUT_DUE_CHANNEL, () => taking.wake());
      try {
        await stopping.stop();
        await running;
        await until(async () => (await statusOf(second.inquiryId)).status === 'succeeded', 'the handed-back part taken over');
        expect(await statusOf(second.inquiryId)).toMatchObject({ attempts: 2, leaseOwner: null });
      } finally {
        await unlistenTaking();
        await taking.stop();
      }
    } finally {
      await unlisten();
      await idle.stop();
    }
  });
});
