import { generateKeyPairSync } from 'node:crypto';
import { asc, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLeafHash, parseAuditEntry } from '../../../proto/audit-log';
import { noteSigner, openCheckpoint, parseVerifierKey, verifierKeyString } from '../../../proto/checkpoint';
import { hashEquals, proveConsistency, proveInclusion, RootAccumulator, storedHashCount, treeHash, verifyConsistency, verifyInclusion } from '../../../proto/merkle';
import type { Database } from '../../db/client';
import { auditLogEntries, auditLogHashes } from '../../db/schema';
import { openTestDatabase } from '../../db/testing';
import { appendAudit, appendAuditEntries, type AuditEntry } from './append-audit';
import { createCheckpoint } from './checkpoints';
import { commit, configureAuditCommitments } from './commitments';
import { currentTreeSize, hashReader } from './log-store';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database?.close());

const entry = (i: number, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  action: 'warrant.issued',
  inquiryId: '00000000-0000-4000-8000-000000000001',
  details: { department: i % 2 ? 'public_security' : 'natural_resources', jti: `jti-${i}`, n: i },
  ...extra,
});

async function allEntries() {
  return database.db.select().from(auditLogEntries).orderBy(asc(auditLogEntries.idx));
}

describe('the Merkle audit log in the database', () => {
  it('appends in the caller’s transaction, with contiguous indices, canonical entries and the RFC 9162 root', async () => {
    const first = await currentTreeSize(database.db);
    const indices: number[] = [];
    for (let i = 0; i < 5; i++) indices.push(await database.db.transaction((tx) => appendAudit(tx, entry(i))));
    indices.push(...(await database.db.transaction((tx) => appendAuditEntries(tx, [entry(5), entry(6), entry(7)]))));
    expect(indices).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => first + i));

    const rows = await allEntries();
    const acc = new RootAccumulator();
    for (const row of rows) {
      expect(parseAuditEntry(row.entry).action).toBe(row.action); // canonical, parseable, consistent copy
      acc.push(auditLeafHash(row.entry));
    }
    const size = await currentTreeSize(database.db);
    expect(hashEquals(await treeHash(size, hashReader(database.db)), acc.root())).toBe(true);
    const [{ n }] = (await database.db.select({ n: sql<number>`count(*)::int` }).from(auditLogHashes)) as [{ n: number }];
    expect(n).toBe(storedHashCount(size));
  });

  it('rebuilds a frontier that does not fit the tree size from the stored hashes', async () => {
    await database.db.execute(sql`UPDATE audit_log_tree SET frontier = '\\x'::bytea`);
    await database.db.transaction((tx) => appendAudit(tx, entry(50)));
    const acc = new RootAccumulator();
    for (const row of await allEntries()) acc.push(auditLeafHash(row.entry));
    expect(hashEquals(await treeHash(await currentTreeSize(database.db), hashReader(database.db)), acc.root())).toBe(true);
  });

  it('a rolled-back transaction leaves no entry and no gap', async () => {
    const before = await currentTreeSize(database.db);
    await expect(
      database.db.transaction(async (tx) => {
        await appendAudit(tx, entry(100));
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await currentTreeSize(database.db)).toBe(before);
    expect(await database.db.transaction((tx) => appendAudit(tx, entry(101)))).toBe(before);
  });

  it('concurrent transactions (as several replicas would) get distinct, contiguous indices', async () => {
    const before = await currentTreeSize(database.db);
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => database.db.transaction((tx) => appendAudit(tx, entry(200 + i)))));
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => before + i));
    const acc = new RootAccumulator();
    for (const row of await allEntries()) acc.push(auditLeafHash(row.entry));
    expect(hashEquals(await treeHash(before + 20, hashReader(database.db)), acc.root())).toBe(true);
  });

  it('proofs read from the stored hashes verify against signed checkpoints', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const signing = { origin: 'test.qiao/audit', signer: await noteSigner('test.qiao/audit', privateKey.export({ format: 'jwk' })) };
    const verifier = parseVerifierKey(verifierKeyString('test.qiao/audit', signing.signer.publicKey));
    const cp1 = await createCheckpoint(database.db, signing);
    expect(cp1.created).toBe(true);
    expect((await createCheckpoint(database.db, signing)).created).toBe(false); // nothing new: the same one
    await database.db.transaction((tx) => appendAuditEntries(tx, [entry(300), entry(301), entry(302)]));
    const cp2 = await createCheckpoint(database.db, signing);
    const a = await openCheckpoint(cp1.note, verifier, 'test.qiao/audit');
    const b = await openCheckpoint(cp2.note, verifier, 'test.qiao/audit');
    verifyConsistency(a.size, b.size, a.root, b.root, await proveConsistency(a.size, b.size, hashReader(database.db)));
    const rows = await allEntries();
    for (const i of [0, 7, a.size - 1, b.size - 1]) {
      verifyInclusion(i, b.size, auditLeafHash(rows[i]!.entry), await proveInclusion(i, b.size, hashReader(database.db)), b.root);
    }
  });

  it('refuses UPDATE, DELETE and TRUNCATE of entries, hashes and checkpoints, and a shrinking tree', async () => {
    const refusedBy = (query: Promise<unknown>) =>
      expect(query).rejects.toSatisfy((e: Error & { cause?: Error }) => /insert-only|only grows/.test(`${e.message} ${e.cause?.message}`));
    await refusedBy(database.db.execute(sql`UPDATE audit_log_entries SET entry = '{}' WHERE idx = 0`));
    await refusedBy(database.db.execute(sql`DELETE FROM audit_log_entries WHERE idx = 0`));
    await refusedBy(database.db.execute(sql`TRUNCATE audit_log_entries`));
    await refusedBy(database.db.execute(sql`UPDATE audit_log_hashes SET hash = '\\x00' WHERE idx = 0`));
    await refusedBy(database.db.execute(sql`DELETE FROM audit_checkpoints`));
    await refusedBy(database.db.execute(sql`UPDATE audit_log_tree SET size = 0`));
    await refusedBy(database.db.execute(sql`DELETE FROM audit_log_tree`));
    expect((await allEntries()).length).toBe(await currentTreeSize(database.db));
  });

  it('writes subject ids and case references only as keyed commitments', async () => {
    const key = Buffer.alloc(32, 9);
    configureAuditCommitments(key);
    const idx = await database.db.transaction((tx) =>
      appendAudit(tx, {
        action: 'authorization.denied',
        details: { caseReference: 'EJH-2024-0042', subjects: [{ kind: 'person', id: '150627196803120034', name: '李某' }], note: 'asked about 150627196803120034', count: 3 },
      }),
    );
    const [row] = (await allEntries()).filter((r) => r.idx === idx);
    expect(row!.entry).not.toContain('150627196803120034');
    expect(row!.entry).not.toContain('EJH-2024-0042');
    expect(row!.entry).not.toContain('李某');
    const details = parseAuditEntry(row!.entry).details;
    expect(details.caseReference).toBe(`hmac:${commit('case', 'EJH-2024-0042', key)}`);
    expect(details.subjects).toEqual([`hmac:${commit('subject', '150627196803120034', key)}`]);
    expect(details.count).toBe(3);
  });
});
