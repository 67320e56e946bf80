import { createHash, randomBytes } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import type { JWK } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWarrant } from '../../proto/warrant';
import { loadCatalogue, type Catalogue } from '../catalogue';
import type { Database } from '../db/client';
import { auditEvents, inquiryParts, resultChunks, results } from '../db/schema';
import { openTestDatabase } from '../db/testing';
import { DepartmentCallError } from '../departments/client';
import { answerFrames, answerWith, FakeDepartmentDirectory, refuseWith, type FakeBehaviour } from '../departments/fake-client';
import { createAuditWriter } from '../services/audit/append-audit';
import { openResultStream } from '../services/result/read-result';
import { claimDueParts, TAKEN_OVER_REASON } from './claim';
import { preparePart, seedApprovedInquiry } from './test-fixtures';
import { DEFAULT_CATALOGUE_FILE, startFanoutWorker, type FanoutWorkerOptions } from './worker';
import { newEd25519SigningJwks } from '../../proto/node/keys';

const SUBJECT_ID = '150627196803120034';

let database: Database;
let catalogue: Catalogue;
let warrantKey: { privateJwk: JWK; publicJwk: JWK };
const pseudonymKey = randomBytes(32);
const logLines: string[] = [];
const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });

beforeAll(async () => {
  database = await openTestDatabase();
  catalogue = await loadCatalogue(DEFAULT_CATALOGUE_FILE);
  warrantKey = newEd25519SigningJwks('test-warrant-key');
});
afterAll(async () => {
  await database?.close();
});

/** A manual clock: parts become due when a test moves it. */
function clock(start = Date.now()) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

function worker(directory: FakeDepartmentDirectory, overrides: Partial<FanoutWorkerOptions> = {}) {
  return startFanoutWorker({
    db: database.db,
    directory,
    signer: { privateJwk: warrantKey.privateJwk, pseudonymKey },
    catalogue,
    logger,
    workerId: `test-${randomBytes(3).toString('hex')}`,
    pollIntervalMs: 60_000,
    leaseMs: 30_000,
    callDeadlineMs: 10_000,
    maxAttempts: 3,
    retryBaseMs: 1000,
    autoStart: false,
    audit: createAuditWriter(randomBytes(32)),
    ...overrides,
  });
}

/** Only this test's part is due: every other part in the file's database is settled first. */
async function onlyPart(values: Parameters<typeof preparePart>[2] = {}) {
  const { db } = database;
  await db.update(inquiryParts).set({ status: 'failed', leaseOwner: null });
  const seeded = await seedApprovedInquiry(db);
  const part = await preparePart(db, seeded.inquiryId, { nextAttemptAt: new Date(Date.now() - 1000), ...values });
  return { ...seeded, part };
}

async function partRow(id: string) {
  const [row] = await database.db.select().from(inquiryParts).where(eq(inquiryParts.id, id));
  return row!;
}

/** What the worker logged for the inquiry: the entries after the fixture's own submission and approval. */
async function auditOf(inquiryId: string) {
  const all = await database.db.select().from(auditEvents).where(eq(auditEvents.inquiryId, inquiryId)).orderBy(auditEvents.id);
  expect(all.slice(0, 2).map((e) => e.action)).toEqual(['inquiry.submitted', 'inquiry.approved']);
  return all.slice(2);
}

async function readAll(stream: AsyncIterable<Uint8Array>) {
  const parts: Uint8Array[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

describe('fan-out worker (fake departments)', () => {
  it('stores the chunks, the results row and the audit entries of an answer', async () => {
    const { part, inquiryId, approverId } = await onlyPart();
    const ciphertext = randomBytes(10_000);
    let auditedBeforeCall = false;
    const directory = new FakeDepartmentDirectory({
      public_security: async function* (call) {
        // The warrant is in the committed audit log before the department sees it.
        const issued = await database.db.select().from(auditEvents).where(eq(auditEvents.action, 'warrant.issued'));
        auditedBeforeCall = issued.some((e) => e.details.warrantId === call.claims.jti);
        yield* answerFrames({ department: 'public_security', warrantId: String(call.claims.jti), ciphertext, records: 4, chunkSize: 4096 });
      },
    });

    expect(await worker(directory).runOnce()).toBe(1);

    expect(auditedBeforeCall).toBe(true);
    const [call] = directory.calls;
    const claims = await verifyWarrant(call!.warrant, { keys: [warrantKey.publicJwk], audience: 'public_security' });
    expect(claims).toMatchObject({
      inquiry_id: inquiryId,
      subjects: [{ kind: 'person', id: SUBJECT_ID }],
      categories: { household: catalogue.categories.household!.fields, household_members: catalogue.categories.household_members!.fields },
    });
    expect(JSON.stringify(claims)).not.toContain('李某'); // names stay at the gateway
    expect(JSON.stringify(claims)).not.toContain('EHB-2024'); // the case reference is a pseudonym
    expect(JSON.stringify(claims)).not.toContain(approverId);
    expect(claims.recipient.key).not.toHaveProperty('d');

    const row = await partRow(part.id);
    expect(row).toMatchObject({ status: 'succeeded', attempts: 1, warrantId: claims.jti, leaseOwner: null, failureReason: null });
    const [result] = await database.db.select().from(results).where(eq(results.partId, part.id));
    expect(result).toMatchObject({
      warrantId: claims.jti,
      records: 4,
      bytes: 10_000,
      chunks: 3,
      format: 'qiao-jwe-ndjson-v1',
      sha256: createHash('sha256').update(ciphertext).digest('hex'),
    });
    expect((await readAll(openResultStream(database.db, part.id, claims.jti))).equals(ciphertext)).toBe(true);

    const audit = await auditOf(inquiryId);
    expect(audit.map((e) => e.action)).toEqual(['warrant.issued', 'department.answered']);
    expect(audit[0]!.details).toMatchObject({
      department: 'public_security',
      warrantId: claims.jti,
      attempt: 1,
      sha256: createHash('sha256').update(call!.warrant).digest('hex'),
    });
    expect(audit[1]!.details).toMatchObject({ warrantId: claims.jti, records: 4, bytes: 10_000, sha256: result!.sha256 });
    expect(logLines.join('')).not.toContain(SUBJECT_ID);
  });

  it('stores an answer past the flush size: the chunks flushed while it streamed and the rest with the answer, in order', async () => {
    const { part } = await onlyPart();
    const ciphertext = randomBytes(2.5 * 1024 ** 2);
    const directory = new FakeDepartmentDirectory({ public_security: answerWith(ciphertext, 7, { chunkSize: 64 * 1024 }) });

    expect(await worker(directory).runOnce()).toBe(1);

    const jti = String(directory.calls[0]!.claims.jti);
    expect(await partRow(part.id)).toMatchObject({ status: 'succeeded' });
    expect((await database.db.select().from(resultChunks).where(eq(resultChunks.partId, part.id))).length).toBe(40);
    expect((await readAll(openResultStream(database.db, part.id, jti))).equals(ciphertext)).toBe(true);
  });

  it('retries after a failed attempt, with backoff, and then succeeds', async () => {
    const { part, inquiryId } = await onlyPart();
    const t = clock();
    const answer = answerWith(randomBytes(500), 1);
    const directory = new FakeDepartmentDirectory({
      public_security: (call) => (call.number === 1 ? refuseWith('UNAVAILABLE', 'connection refused')(call) : answer(call)),
    });
    const w = worker(directory, { now: t.now });

    expect(await w.runOnce()).toBe(1);
    let row = await partRow(part.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, failureReason: 'transport: public_security unreachable' });
    expect(row.nextAttemptAt.getTime()).toBe(t.now().getTime() + 1000);
    expect(await w.runOnce()).toBe(0); // not due before the backoff

    t.advance(1000);
    expect(await w.runOnce()).toBe(1);
    row = await partRow(part.id);
    expect(row).toMatchObject({ status: 'succeeded', attempts: 2, failureReason: null });
    expect(row.warrantId).toBe(directory.calls[1]!.claims.jti);
    expect(directory.calls[0]!.claims.jti).not.toBe(directory.calls[1]!.claims.jti);
    const [result] = await database.db.select().from(results).where(eq(results.partId, part.id));
    expect(result!.warrantId).toBe(row.warrantId);
    expect((await auditOf(inquiryId)).map((e) => e.action)).toEqual(['warrant.issued', 'warrant.issued', 'department.answered']);
  });

  it('fails the part with its reason after maxAttempts of a refusal a retry may change', async () => {
    const { part, inquiryId } = await onlyPart();
    const t = clock();
    const directory = new FakeDepartmentDirectory({ public_security: refuseWith('INTERNAL', "the department's data source failed", 'source_failed') });
    const w = worker(directory, { now: t.now, maxAttempts: 2 });

    await w.runOnce();
    t.advance(1000);
    await w.runOnce();
    t.advance(60_000);
    expect(await w.runOnce()).toBe(0);

    expect(directory.calls).toHaveLength(2);
    const row = await partRow(part.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 2, leaseOwner: null });
    expect(row.failureReason).toBe("public_security refused: the department's data source failed (gave up after 2 attempts)");
    expect(row.completedAt).not.toBeNull();
    const audit = await auditOf(inquiryId);
    expect(audit.map((e) => e.action)).toEqual(['warrant.issued', 'warrant.issued', 'part.failed']);
    expect(audit[2]!.details).toMatchObject({ department: 'public_security', attempts: 2, reason: row.failureReason });
  });

  it('retries a transport failure past maxAttempts, with capped backoff, until the part is answered', async () => {
    const { part } = await onlyPart();
    const t = clock();
    const answer = answerWith(randomBytes(100), 1);
    const directory = new FakeDepartmentDirectory({
      public_security: (call) => (call.number <= 4 ? refuseWith('UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:7103 0x7f3a9c')(call) : answer(call)),
    });
    const w = worker(directory, { now: t.now, maxAttempts: 2, retryBaseMs: 1000, retryMaxMs: 3000 });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = t.now().getTime();
      expect(await w.runOnce()).toBe(1);
      const row = await partRow(part.id);
      expect(row).toMatchObject({ status: 'pending', failureReason: 'transport: public_security unreachable' });
      delays.push(row.nextAttemptAt.getTime() - before);
      t.advance(row.nextAttemptAt.getTime() - before);
    }
    expect(delays).toEqual([1000, 2000, 3000, 3000]);
    expect(await w.runOnce()).toBe(1);
    expect(await partRow(part.id)).toMatchObject({ status: 'succeeded', attempts: 5 });
  });

  it('does not store an answer whose trailer digest does not match the chunks', async () => {
    const { part, inquiryId } = await onlyPart();
    const directory = new FakeDepartmentDirectory({
      public_security: (call) =>
        answerFrames({
          department: 'public_security',
          warrantId: String(call.claims.jti),
          ciphertext: randomBytes(3000),
          records: 2,
          chunkSize: 1000,
          trailer: { sha256: createHash('sha256').update('something else').digest('hex') },
        }),
    });

    await worker(directory).runOnce();

    const row = await partRow(part.id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.failureReason).toMatch(/^integrity: trailer sha256/);
    expect(await database.db.select().from(results).where(eq(results.partId, part.id))).toEqual([]);
    expect(await database.db.select().from(resultChunks).where(eq(resultChunks.partId, part.id))).toEqual([]);
    expect((await auditOf(inquiryId)).map((e) => e.action)).toEqual(['warrant.issued']);
  });

  it('refuses an answer that names another warrant or runs short of the trailer', async () => {
    const { part } = await onlyPart();
    const t = clock();
    const directory = new FakeDepartmentDirectory({
      public_security: (call) => {
        const frames = answerFrames({ department: 'public_security', warrantId: 'someone-else', ciphertext: randomBytes(10), records: 1 });
        if (call.number === 1) return frames;
        const honest = answerFrames({ department: 'public_security', warrantId: String(call.claims.jti), ciphertext: randomBytes(10), records: 1 });
        return honest.slice(0, -1);
      },
    });
    const w = worker(directory, { now: t.now });

    await w.runOnce();
    expect((await partRow(part.id)).failureReason).toBe('protocol: header names another warrant');
    t.advance(1000);
    await w.runOnce();
    expect(await partRow(part.id)).toMatchObject({ status: 'pending', attempts: 2, failureReason: 'protocol: answer ended without a trailer' });
  });

  it('fails a part past its deadline without calling the department', async () => {
    const { part, inquiryId } = await onlyPart({ deadlineAt: new Date(Date.now() - 1) });
    const directory = new FakeDepartmentDirectory({ public_security: answerWith(randomBytes(10), 1) });

    expect(await worker(directory).runOnce()).toBe(1);

    expect(directory.calls).toEqual([]);
    const row = await partRow(part.id);
    expect(row).toMatchObject({ status: 'failed', failureReason: 'deadline passed' });
    expect((await auditOf(inquiryId)).map((e) => e.action)).toEqual(['part.failed']);
  });

  it('fails at once when the next retry would fall after the deadline', async () => {
    const { part } = await onlyPart({ deadlineAt: new Date(Date.now() + 5000) });
    const directory = new FakeDepartmentDirectory({ public_security: refuseWith('UNAVAILABLE', 'down') });

    await worker(directory, { retryBaseMs: 10_000 }).runOnce();

    expect(await partRow(part.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      failureReason: "transport: public_security unreachable (gave up: the part's deadline comes before another attempt)",
    });
  });

  it('fails at once on a refusal no retry can change', async () => {
    const { part } = await onlyPart();
    const directory = new FakeDepartmentDirectory({
      public_security: refuseWith('INVALID_ARGUMENT', `category not served for subject ${SUBJECT_ID}`),
    });

    await worker(directory).runOnce();

    const row = await partRow(part.id);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row.failureReason).toBe('public_security refused: INVALID_ARGUMENT category not served for subject [redacted]');
  });

  it("fails at once on the contract's permanent refusal, in the contract's words", async () => {
    const { part, inquiryId } = await onlyPart();
    const directory = new FakeDepartmentDirectory({
      public_security: refuseWith('PERMISSION_DENIED', 'warrant recipient key is not certified for the requesting unit by the directory authority', 'recipient_key_not_certified'),
    });

    await worker(directory, { maxAttempts: 5 }).runOnce();

    expect(directory.calls).toHaveLength(1);
    expect(await partRow(part.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      failureReason: 'public_security refused: warrant recipient key is not certified for the requesting unit by the directory authority',
    });
    expect((await auditOf(inquiryId)).map((e) => e.action)).toEqual(['warrant.issued', 'part.failed']);
  });

  it('takes over the part of a crashed worker once its lease has expired', async () => {
    const { part } = await onlyPart();
    const t = clock();
    await claimDueParts(database.db, { workerId: 'crashed', now: t.now(), leaseMs: 30_000, limit: 10 });
    const directory = new FakeDepartmentDirectory({ public_security: answerWith(randomBytes(100), 1) });
    const w = worker(directory, { now: t.now });

    expect(await w.runOnce()).toBe(0);
    t.advance(30_001);
    expect(await w.runOnce()).toBe(1);

    expect(await partRow(part.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('fails a part whose last allowed attempt died with its worker', async () => {
    const { part, inquiryId } = await onlyPart({ attempts: 2, failureReason: 'department: UNAVAILABLE down' });
    const t = clock();
    await claimDueParts(database.db, { workerId: 'crashed', now: t.now(), leaseMs: 30_000, limit: 10 }); // attempt 3 of 3
    const directory = new FakeDepartmentDirectory({ public_security: answerWith(randomBytes(10), 1) });
    t.advance(30_001);

    expect(await worker(directory, { now: t.now, maxAttempts: 3 }).runOnce()).toBe(1);

    expect(directory.calls).toEqual([]);
    expect(await partRow(part.id)).toMatchObject({
      status: 'failed',
      // The attempt that died said nothing; the one before it did, and the reason keeps it.
      failureReason: `gave up after 3 attempts (last failure: ${TAKEN_OVER_REASON} (before that: department: UNAVAILABLE down))`,
    });
    expect((await auditOf(inquiryId)).map((e) => e.action)).toEqual(['part.failed']);
  });

  it('drops its answer when another worker took the part over meanwhile', async () => {
    const { part } = await onlyPart();
    const directory = new FakeDepartmentDirectory({
      public_security: async function* (call) {
        yield* answerFrames({ department: 'public_security', warrantId: String(call.claims.jti), ciphertext: randomBytes(100), records: 1, chunkSize: 10 }).slice(0, 3);
        // Our lease ran out during the call; another worker claimed the part and finished it.
        await database.db
          .update(inquiryParts)
          .set({ leaseOwner: 'other', attempts: 2, status: 'succeeded', warrantId: 'other-warrant' })
          .where(eq(inquiryParts.id, part.id));
        yield* answerFrames({ department: 'public_security', warrantId: String(call.claims.jti), ciphertext: randomBytes(100), records: 1, chunkSize: 10 }).slice(3);
      },
    });

    await worker(directory).runOnce();

    expect(await partRow(part.id)).toMatchObject({ status: 'succeeded', leaseOwner: 'other', warrantId: 'other-warrant', attempts: 2 });
    expect(await database.db.select().from(results).where(eq(results.partId, part.id))).toEqual([]);
    const left = await database.db
      .select()
      .from(resultChunks)
      .where(and(eq(resultChunks.partId, part.id), eq(resultChunks.warrantId, String(directory.calls[0]!.claims.jti))));
    expect(left).toEqual([]);
  });

  it('hands its part back when stopped in the middle of a call', async () => {
    const { part } = await onlyPart();
    let started!: () => void;
    const callStarted = new Promise<void>((r) => (started = r));
    const hang: FakeBehaviour = async function* (call) {
      started();
      await new Promise<void>((resolve) => call.signal!.addEventListener('abort', () => resolve(), { once: true }));
      throw new DepartmentCallError('CANCELLED', 'cancelled', call.department);
    };
    const w = worker(new FakeDepartmentDirectory({ public_security: hang }));

    const run = w.runOnce();
    await callStarted;
    await w.stop();
    await run;

    expect(await partRow(part.id)).toMatchObject({ status: 'pending', attempts: 1, leaseOwner: null, failureReason: 'interrupted: the worker stopped' });
  });

  it('once started, picks up due parts by itself', async () => {
    const { part } = await onlyPart();
    let answered!: () => void;
    const done = new Promise<void>((r) => (answered = r));
    const honest = answerWith(randomBytes(10), 1);
    const directory = new FakeDepartmentDirectory({
      public_security: async function* (call) {
        yield* honest(call);
        answered();
      },
    });
    const w = worker(directory, { autoStart: true, pollIntervalMs: 60_000 });
    w.wake();
    await done;
    await w.stop();
    expect((await partRow(part.id)).status).toBe('succeeded');
  });
});

describe('fan-out worker costs and fairness', () => {
  it('issues the warrants of one claim together: every one stored and audited before its call', async () => {
    await database.db.update(inquiryParts).set({ status: 'failed', leaseOwner: null });
    const { inquiryId } = await seedApprovedInquiry(database.db, { categories: ['household', 'real_estate'] });
    const a = await preparePart(database.db, inquiryId, { nextAttemptAt: new Date(Date.now() - 2000) });
    const b = await preparePart(database.db, inquiryId, { department: 'natural_resources', nextAttemptAt: new Date(Date.now() - 1000) });
    const auditedBeforeCall: boolean[] = [];
    const honest = answerWith(randomBytes(100), 1);
    const checked: FakeBehaviour = async function* (call) {
      const issued = await database.db.select().from(auditEvents).where(eq(auditEvents.action, 'warrant.issued'));
      auditedBeforeCall.push(issued.some((e) => e.details.warrantId === call.claims.jti));
      yield* honest(call);
    };

    expect(await worker(new FakeDepartmentDirectory({ public_security: checked, natural_resources: checked })).runOnce()).toBe(2);

    expect(auditedBeforeCall).toEqual([true, true]);
    expect([(await partRow(a.id)).status, (await partRow(b.id)).status]).toEqual(['succeeded', 'succeeded']);
    const entries = await auditOf(inquiryId);
    const issued = entries.filter((e) => e.action === 'warrant.issued');
    // One append under one lock: consecutive entries, written at the same moment.
    expect(issued.map((e) => e.details.partId).sort()).toEqual([a.id, b.id].sort());
    expect(issued[1]!.id - issued[0]!.id).toBe(1);
    expect(issued[0]!.occurredAt.getTime()).toBe(issued[1]!.occurredAt.getTime());
    expect(new Set(issued.map((e) => e.details.warrantId))).toEqual(new Set([(await partRow(a.id)).warrantId, (await partRow(b.id)).warrantId]));
  });

  it('never takes back its own part after a late renewal: it renews, says how late, and finishes the one attempt', async () => {
    const { part } = await onlyPart();
    const t = clock();
    let lateLine!: (line: string) => void;
    const renewedLate = new Promise<string>((r) => (lateLine = r));
    const watching = pino({ level: 'debug' }, { write: (line: string) => void (line.includes('lease renewed after it had run out') && lateLine(line)) });
    let callStarted!: () => void;
    const started = new Promise<void>((r) => (callStarted = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const honest = answerWith(randomBytes(100), 1);
    const directory = new FakeDepartmentDirectory({
      public_security: async function* (call) {
        callStarted();
        await released;
        yield* honest(call);
      },
    });
    const w = worker(directory, { now: t.now, logger: watching, leaseMs: 30_000, leaseRenewMs: 50 });

    const run = w.runOnce();
    await started;
    t.advance(45_000); // the process "stalled": by its clock, its lease ran out 15 s ago
    expect(await w.runOnce()).toBe(0); // its own part in flight is not due to itself
    const line = JSON.parse(await renewedLate) as { partId: string; lateMs: number; level: number };
    expect(line).toMatchObject({ partId: part.id, level: 40 });
    expect(line.lateMs).toBeGreaterThanOrEqual(15_000);
    release();
    await run;

    expect(await partRow(part.id)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(directory.calls).toHaveLength(1);
  });

  it('wakes itself at the time of a retry it scheduled, without waiting for its poll', async () => {
    const { part } = await onlyPart();
    let answered!: () => void;
    const done = new Promise<void>((r) => (answered = r));
    const honest = answerWith(randomBytes(10), 1);
    const directory = new FakeDepartmentDirectory({
      public_security: async function* (call) {
        if (call.number === 1) yield* refuseWith('UNAVAILABLE', 'connection refused')(call);
        yield* honest(call);
        answered();
      },
    });
    // The poll would come in an hour; only the retry's own timer can start the second attempt.
    const w = worker(directory, { autoStart: true, pollIntervalMs: 3600_000, retryBaseMs: 100 });
    w.wake();
    await done;
    await w.stop();
    expect(await partRow(part.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });
});

describe('draining the fan-out', () => {
  it('runs what is due while the polling loop holds a part, and returns once that part is settled too', async () => {
    // One approval, two parts: public security's due now, natural resources' later.
    await database.db.update(inquiryParts).set({ status: 'failed', leaseOwner: null });
    const { inquiryId } = await seedApprovedInquiry(database.db, { categories: ['household', 'real_estate'] });
    const held = await preparePart(database.db, inquiryId, { nextAttemptAt: new Date(Date.now() - 1000) });
    await preparePart(database.db, inquiryId, { department: 'natural_resources', nextAttemptAt: new Date(Date.now() + 3600_000) });
    let callStarted!: () => void;
    const started = new Promise<void>((r) => (callStarted = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const small = answerWith(randomBytes(200), 1);
    // The held part has far more left to do once released than the drained one: a drain that
    // returned when it found nothing more to claim would return before the held part is settled.
    const large = answerWith(randomBytes(3 * 1024 ** 2), 1, { chunkSize: 16 * 1024 });
    const directory = new FakeDepartmentDirectory({
      public_security: async function* (call) {
        callStarted();
        await released;
        yield* large(call);
      },
      // Due after the loop took its part, so only drain can run it; it lets the held call go on.
      natural_resources: async function* (call) {
        release();
        yield* small(call);
      },
    });
    const w = worker(directory, { autoStart: true });
    w.wake();
    await started;
    const due = await preparePart(database.db, inquiryId, { department: 'natural_resources', nextAttemptAt: new Date(Date.now() - 1000) });

    await w.drain();

    expect([(await partRow(held.id)).status, (await partRow(due.id)).status]).toEqual(['succeeded', 'succeeded']);
    expect(directory.calls.map((c) => c.department)).toEqual(['public_security', 'natural_resources']);
    await w.stop();
  });

  it('leaves a retry scheduled for later, and runs it once it is due', async () => {
    const { part } = await onlyPart();
    const t = clock();
    const answer = answerWith(randomBytes(200), 1);
    const directory = new FakeDepartmentDirectory({
      public_security: (call) => (call.number === 1 ? refuseWith('UNAVAILABLE', 'connection refused')(call) : answer(call)),
    });
    const w = worker(directory, { now: t.now });

    await w.drain();
    expect(await partRow(part.id)).toMatchObject({ status: 'pending', attempts: 1 });

    t.advance(1000);
    await w.drain();
    expect(await partRow(part.id)).toMatchObject({ status: 'succeeded', attempts: 2 });
    await w.drain(); // nothing is due: returns at once
    expect(directory.calls).toHaveLength(2);
  });
});

describe('fan-out worker limits', () => {
  it('refuses an answer larger than maxAnswerBytes and keeps none of it', async () => {
    const { part } = await onlyPart();
    const directory = new FakeDepartmentDirectory({ public_security: answerWith(randomBytes(5000), 1, { chunkSize: 1000 }) });

    await worker(directory, { maxAnswerBytes: 4096 }).runOnce();

    expect(await partRow(part.id)).toMatchObject({ status: 'failed', failureReason: 'protocol: answer larger than 4096 bytes' });
    expect(await database.db.select().from(resultChunks).where(eq(resultChunks.partId, part.id))).toEqual([]);
  });
});
