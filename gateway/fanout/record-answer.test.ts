import { randomBytes, randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '../db/client';
import { auditEvents, inquiryParts, resultChunks, results } from '../db/schema';
import { openTestDatabase } from '../db/testing';
import { createAuditWriter } from '../services/audit/append-audit';
import { auditLogIsWhole } from '../testing/audit-entries';
import { currentTreeSize } from '../services/audit/log-store';
import { recordAnswer, type AnsweredPart } from './receive-answer';
import { leasePart, preparePart, seedApprovedInquiry } from './test-fixtures';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

const audit = createAuditWriter(randomBytes(32));

/** A running part of a fresh inquiry leased to `workerId`, with its warrant id set, and an answer to it. */
async function leasedAnswer(workerId = 'w1'): Promise<AnsweredPart> {
  const { db } = database;
  const { inquiryId } = await seedApprovedInquiry(db, { audit });
  const prepared = await preparePart(db, inquiryId, { status: 'pending', nextAttemptAt: new Date(Date.now() - 1000) });
  const leased = (await leasePart(db, prepared.id, workerId, new Date()))!;
  const warrantId = randomUUID();
  await db.update(inquiryParts).set({ warrantId }).where(eq(inquiryParts.id, leased.id));
  const data = randomBytes(64);
  return {
    part: { id: leased.id, inquiryId, department: leased.department, attempts: leased.attempts },
    workerId,
    warrantId,
    completedAt: new Date(),
    answer: { format: 'qiao-stream-v2', records: 1, bytes: data.length, sha256: 'ab'.repeat(32), chunks: 1, receipt: null, unstored: [{ seq: 0, data }] },
  };
}

/** What the database holds of the answer to `a`: part status, results rows, chunks, `department.answered` entries. */
async function stateOf(a: AnsweredPart) {
  const { db } = database;
  const [part] = await db.select({ status: inquiryParts.status }).from(inquiryParts).where(eq(inquiryParts.id, a.part.id));
  const rows = await db.select({ warrantId: results.warrantId }).from(results).where(eq(results.partId, a.part.id));
  const chunks = await db.select({ seq: resultChunks.seq }).from(resultChunks).where(eq(resultChunks.partId, a.part.id));
  const entries = (await db.select({ details: auditEvents.details }).from(auditEvents).where(eq(auditEvents.action, 'department.answered'))).filter(
    (e) => (e.details as { partId: string }).partId === a.part.id,
  );
  return { status: part!.status, results: rows.length, chunks: chunks.length, entries: entries.length };
}

describe('recordAnswer', () => {
  it('records the answer and its entry in one statement, committed on its own', async () => {
    const a = await leasedAnswer();
    const transactions = vi.spyOn(database.db, 'transaction');
    const executes = vi.spyOn(database.db, 'execute');

    expect(await recordAnswer(database.db, audit, a)).toBe(true);

    expect(transactions).not.toHaveBeenCalled();
    expect(executes).toHaveBeenCalledTimes(1);
    transactions.mockRestore();
    executes.mockRestore();
    expect(await stateOf(a)).toEqual({ status: 'succeeded', results: 1, chunks: 1, entries: 1 });
    expect(await auditLogIsWhole(database.db)).toBe(true);
  });

  it('writes nothing, and no entry, when the lease went to another worker', async () => {
    const a = await leasedAnswer();
    await database.db.update(inquiryParts).set({ leaseOwner: 'w2' }).where(eq(inquiryParts.id, a.part.id));
    const size = await currentTreeSize(database.db);

    expect(await recordAnswer(database.db, audit, a)).toBe(false);

    expect(await stateOf(a)).toEqual({ status: 'running', results: 0, chunks: 0, entries: 0 });
    expect(await currentTreeSize(database.db)).toBe(size);
  });

  it('a statement that fails writes nothing at all, its entry included', async () => {
    const a = await leasedAnswer();
    // Two chunks with one seq: the chunk insert breaks the primary key, after the part update and the append ran.
    a.answer.unstored.push({ seq: 0, data: randomBytes(8) });
    const size = await currentTreeSize(database.db);

    await expect(recordAnswer(database.db, audit, a)).rejects.toThrow();

    expect(await stateOf(a)).toEqual({ status: 'running', results: 0, chunks: 0, entries: 0 });
    expect(await currentTreeSize(database.db)).toBe(size);
    expect(await auditLogIsWhole(database.db)).toBe(true);
  });

  it('rebuilds a kept frontier that does not fit the tree size, then records the answer', async () => {
    const a = await leasedAnswer();
    await database.db.execute(sql`UPDATE audit_log_tree SET frontier = '\\x'::bytea`);

    expect(await recordAnswer(database.db, audit, a)).toBe(true);

    expect(await stateOf(a)).toEqual({ status: 'succeeded', results: 1, chunks: 1, entries: 1 });
    expect(await auditLogIsWhole(database.db)).toBe(true);
  });
});
