import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLeafHash, parseAuditEntry } from '../../../proto/audit-log';
import { noteSigner, openCheckpoint, parseVerifierKey, verifierKeyString } from '../../../proto/checkpoint';
import { hashEquals, proveConsistency, proveInclusion, RootAccumulator, storedHashCount, treeHash, verifyConsistency, verifyInclusion } from '../../../proto/merkle';
import type { Database } from '../../db/client';
import { auditEvents, auditLogEntries, auditLogHashes } from '../../db/schema';
import { openTestDatabase } from '../../db/testing';
import { createTestGateway } from '../../testing/harness';
import { commitmentKeyId, matchesCommitment } from '../../../proto/audit-commitment';
import { appendAudit, appendAuditEntries, type AuditEntry } from './append-audit';
import { createCheckpoint } from './checkpoints';
import { createAuditWriter } from './commitments';
import { currentTreeSize, hashReader } from './log-store';
import { newEd25519PrivateKey } from '../../../proto/node/keys';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
});
afterAll(() => database?.close());

const writer = createAuditWriter(randomBytes(32));
const entry = (i: number): AuditEntry => ({
  action: 'warrant.issued',
  inquiryId: '00000000-0000-4000-8000-000000000001',
  details: {
    department: i % 2 ? 'public_security' : 'natural_resources',
    partId: '00000000-0000-4000-8000-000000000002',
    warrantId: `warrant-${i}`,
    attempt: 1,
    sha256: 'ab'.repeat(32),
    kid: 'k1',
    categories: ['household'],
    expiresAt: '2030-01-01T00:00:00.000Z',
  },
});

async function allEntries() {
  return database.db.select().from(auditLogEntries).orderBy(asc(auditLogEntries.idx));
}

describe('the Merkle audit log in the database', () => {
  it('appends in the caller’s transaction, with contiguous indices, canonical entries and the RFC 9162 root', async () => {
    const first = await currentTreeSize(database.db);
    const indices: number[] = [];
    for (let i = 0; i < 5; i++) indices.push(await database.db.transaction((tx) => appendAudit(tx, entry(i), writer)));
    indices.push(...(await database.db.transaction((tx) => appendAuditEntries(tx, [entry(5), entry(6), entry(7)], writer))));
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
    await database.db.transaction((tx) => appendAudit(tx, entry(50), writer));
    const acc = new RootAccumulator();
    for (const row of await allEntries()) acc.push(auditLeafHash(row.entry));
    expect(hashEquals(await treeHash(await currentTreeSize(database.db), hashReader(database.db)), acc.root())).toBe(true);
  });

  it('a rolled-back transaction leaves no entry and no gap', async () => {
    const before = await currentTreeSize(database.db);
    await expect(
      database.db.transaction(async (tx) => {
        await appendAudit(tx, entry(100), writer);
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await currentTreeSize(database.db)).toBe(before);
    expect(await database.db.transaction((tx) => appendAudit(tx, entry(101), writer))).toBe(before);
  });

  it('concurrent transactions (as several replicas would) get distinct, contiguous indices', async () => {
    const before = await currentTreeSize(database.db);
    const got = await Promise.all(Array.from({ length: 20 }, (_, i) => database.db.transaction((tx) => appendAudit(tx, entry(200 + i), writer))));
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => before + i));
    const acc = new RootAccumulator();
    for (const row of await allEntries()) acc.push(auditLeafHash(row.entry));
    expect(hashEquals(await treeHash(before + 20, hashReader(database.db)), acc.root())).toBe(true);
  });

  it('proofs read from the stored hashes verify against signed checkpoints', async () => {
    const privateKey = newEd25519PrivateKey();
    const signing = { origin: 'test.qiao/audit', signer: await noteSigner('test.qiao/audit', privateKey.export({ format: 'jwk' })) };
    const verifier = parseVerifierKey(verifierKeyString('test.qiao/audit', signing.signer.publicKey));
    await database.db.transaction((tx) => appendAuditEntries(tx, Array.from({ length: 8 }, (_, i) => entry(290 + i)), writer)); // entries 0 and 7 at least
    const cp1 = await createCheckpoint(database.db, signing);
    expect(cp1.created).toBe(true);
    expect((await createCheckpoint(database.db, signing)).created).toBe(false); // nothing new: the same one
    await database.db.transaction((tx) => appendAuditEntries(tx, [entry(300), entry(301), entry(302)], writer));
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
    // Something of each to refuse a change of: an entry (idx 0 at least), its hashes, a checkpoint.
    await database.db.transaction((tx) => appendAudit(tx, entry(400), writer));
    const privateKey = newEd25519PrivateKey();
    await createCheckpoint(database.db, { origin: 'test.qiao/audit', signer: await noteSigner('test.qiao/audit', privateKey.export({ format: 'jwk' })) });
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

  it('writes subject ids and case references only as keyed commitments, with its own writer’s key', async () => {
    const key = Buffer.alloc(32, 9);
    const own = createAuditWriter(key);
    const inquiryId = randomUUID();
    const submitted = await database.db.transaction((tx) =>
      appendAudit(
        tx,
        {
          action: 'inquiry.submitted',
          actor: { userId: randomUUID(), unitId: '150627' },
          inquiryId,
          details: { categories: ['household'], subjects: 1, sensitivity: 'standard', approvalChain: [{ role: 'approver', unitId: '150600', count: 1 }], policyIds: ['p'] },
          committed: { caseReference: 'EJH-2024-0042', subjectIds: ['150627196803120034'] },
        },
        own,
      ),
    );
    const denied = await database.db.transaction((tx) =>
      appendAudit(
        tx,
        { action: 'authorization.denied', actor: { userId: randomUUID(), unitId: '150627' }, details: { attempted: 'inquiry.read', reason: 'asked about 150627196803120034 and 91350100M000100Y43 again', policyIds: [] } },
        own,
      ),
    );
    const rows = (await allEntries()).filter((r) => r.idx === submitted || r.idx === denied);
    for (const row of rows) {
      expect(row.entry).not.toContain('150627196803120034');
      expect(row.entry).not.toContain('91350100M000100Y43');
      expect(row.entry).not.toContain('EJH-2024-0042');
    }
    const hmac = (kind: string, value: string) => `hmac:${createHmac('sha256', key).update(`qiao/audit-commitment/v1\n${kind}\n${value}`).digest('base64url')}`;
    expect(parseAuditEntry(rows[0]!.entry).details.commitments).toEqual({
      key: own.keyId,
      case: hmac('case', 'EJH-2024-0042'),
      subjects: [hmac('subject', '150627196803120034')],
    });
    expect(parseAuditEntry(rows[1]!.entry).details.reason).toBe(
      `asked about ${hmac('subject', '150627196803120034')} and ${hmac('subject', '91350100M000100Y43')} again`,
    );
  });

  it('refuses, and rolls back, an entry whose details do not match its action’s format', async () => {
    const before = await currentTreeSize(database.db);
    const wrong = { ...entry(400), details: { ...entry(400).details, jti: 'the JWT name' } } as unknown as AuditEntry;
    await expect(database.db.transaction((tx) => appendAudit(tx, wrong, writer))).rejects.toThrow(
      /audit entry refused: the details of warrant.issued do not match its format \(details: Unrecognized key: "jti"\)/,
    );
    const anonymous = { action: 'result.downloaded', inquiryId: randomUUID(), details: { department: 'bank', warrantId: 'w', records: 1, bytes: 1, sha256: 'ab'.repeat(32) } } as AuditEntry;
    await expect(database.db.transaction((tx) => appendAudit(tx, anonymous, writer))).rejects.toThrow('audit entry refused: result.downloaded has no actor: a user does this');
    expect(await currentTreeSize(database.db)).toBe(before);
  });

  it('two gateways in one process write commitments with their own keys', async () => {
    const keys = [randomBytes(32), randomBytes(32)];
    const gateways = await Promise.all(keys.map((key) => createTestGateway({ database, audit: createAuditWriter(key) })));
    const subject = { kind: 'person', id: '150627196803120034' };
    const written: { commitments: { key: string; subjects: string[] } }[] = [];
    for (const gw of gateways) {
      const res = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody({ subjects: [subject] }));
      expect(res.status).toBe(201);
      const [row] = await database.db.select().from(auditEvents).where(eq(auditEvents.inquiryId, res.body.id));
      written.push(row!.details as (typeof written)[number]);
    }
    expect(written[0]!.commitments.subjects[0]).not.toBe(written[1]!.commitments.subjects[0]);
    for (const [i, key] of keys.entries()) {
      expect(written[i]!.commitments.key).toBe(await commitmentKeyId(key));
      expect(await matchesCommitment(key, 'subject', subject.id, written[i]!.commitments.subjects[0]!)).toBe(true);
    }
  });
});
