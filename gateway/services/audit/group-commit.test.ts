import { randomBytes } from 'node:crypto';
import { asc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Db } from '../../db/client';
import { auditLogEntries } from '../../db/schema';
import { openTestDatabase } from '../../db/testing';
import { exampleAuditEntry } from '../../testing/audit-entries';
import type { AuditEntry } from './append-audit';
import { createAuditWriter } from './commitments';
import { createAuditGroupCommit } from './group-commit';
import { currentTreeSize } from './log-store';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database?.close());

const audit = createAuditWriter(randomBytes(32));
const download = (warrantId: string): AuditEntry =>
  exampleAuditEntry('result.downloaded', { details: { department: 'public_security', warrantId, records: 1, bytes: 10, sha256: 'ab'.repeat(32) } });

/** The real database, telling `onAppend` of each statement it runs (an append is one statement, no transaction around it). */
function countingAppends(db: Db, onAppend: (n: number) => void = () => {}): { db: Db; appends: () => number } {
  let n = 0;
  const counted = Object.create(db) as Db;
  counted.execute = ((...args: Parameters<Db['execute']>) => {
    onAppend(++n);
    return db.execute(...args);
  }) as Db['execute'];
  counted.transaction = (() => {
    throw new Error('an append of entries alone needs no transaction');
  }) as Db['transaction'];
  return { db: counted, appends: () => n };
}

async function warrantIdsFrom(size: number): Promise<string[]> {
  const rows = await database.db.select().from(auditLogEntries).orderBy(asc(auditLogEntries.idx));
  return rows.filter((r) => r.idx >= size).map((r) => (JSON.parse(r.entry) as { details: { warrantId: string } }).details.warrantId);
}

describe('audit group commit', () => {
  it('appends the entries that arrive together in one statement, in their order', async () => {
    const size = await currentTreeSize(database.db);
    const counting = countingAppends(database.db);
    const group = createAuditGroupCommit({ db: counting.db, audit });
    await Promise.all(['g1-a', 'g1-b', 'g1-c', 'g1-d', 'g1-e'].map((id) => group.append(download(id))));
    expect(counting.appends()).toBe(1);
    expect(await warrantIdsFrom(size)).toEqual(['g1-a', 'g1-b', 'g1-c', 'g1-d', 'g1-e']);
  });

  it('gathers the entries that arrive while an append runs into the next one', async () => {
    const size = await currentTreeSize(database.db);
    const later: Promise<void>[] = [];
    const counting = countingAppends(database.db, (n) => {
      // While the first append is being sent, three more downloads start.
      if (n === 1) for (const id of ['g2-b', 'g2-c', 'g2-d']) later.push(group.append(download(id)));
    });
    const group = createAuditGroupCommit({ db: counting.db, audit });
    await group.append(download('g2-a'));
    await Promise.all(later);
    expect(counting.appends()).toBe(2);
    expect(await warrantIdsFrom(size)).toEqual(['g2-a', 'g2-b', 'g2-c', 'g2-d']);
  });

  it('writes none of a failed batch, gives every waiting caller the error, and goes on with the next', async () => {
    const size = await currentTreeSize(database.db);
    const group = createAuditGroupCommit({ db: database.db, audit });
    // An entry the contract refuses (a negative byte count) fails the whole batch it is in.
    const bad = download('g3-bad');
    (bad.details as { bytes: number }).bytes = -1;
    const outcomes = await Promise.allSettled([group.append(download('g3-a')), group.append(bad), group.append(download('g3-c'))]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const o of outcomes) expect((o as PromiseRejectedResult).reason).toMatchObject({ name: 'AuditEntryRefused' });
    expect(await currentTreeSize(database.db)).toBe(size);
    await group.append(download('g3-after'));
    expect(await warrantIdsFrom(size)).toEqual(['g3-after']);
  });
});
