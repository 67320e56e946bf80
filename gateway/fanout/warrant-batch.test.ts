import { randomBytes } from 'node:crypto';
import { asc, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadCatalogue, type Catalogue } from '../catalogue';
import type { Database } from '../db/client';
import { auditEvents, inquiryParts, warrants } from '../db/schema';
import { openTestDatabase } from '../db/testing';
import { createAuditWriter } from '../services/audit/append-audit';
import { auditLogIsWhole } from '../testing/audit-entries';
import { currentTreeSize } from '../services/audit/log-store';
import type { WarrantSigner } from '../warrants/issue-warrant';
import { LeaseLost } from './receive-answer';
import { leasePart, preparePart, seedApprovedInquiry } from './test-fixtures';
import { issueWarrants, type LeasedWarrantPart } from './warrant-batch';
import { DEFAULT_CATALOGUE_FILE } from './worker';
import { newEd25519SigningJwks } from '../../proto/node/keys';

let database: Database;
let catalogue: Catalogue;
let signer: WarrantSigner;
const audit = createAuditWriter(randomBytes(32));

beforeAll(async () => {
  database = await openTestDatabase();
  catalogue = await loadCatalogue(DEFAULT_CATALOGUE_FILE);
  signer = { privateJwk: newEd25519SigningJwks('test-warrant-key').privateJwk, pseudonymKey: randomBytes(32) };
});
afterAll(async () => {
  await database?.close();
});

/** The parts an approval of household and grassland contracts created, leased to w1 as a claim would. */
async function leasedParts(): Promise<LeasedWarrantPart[]> {
  const { db } = database;
  const { inquiryId } = await seedApprovedInquiry(db, { audit, categories: ['household', 'grassland_contracts'] });
  const out: LeasedWarrantPart[] = [];
  for (const department of ['public_security', 'natural_resources']) {
    const [part] = await db.select().from(inquiryParts).where(eq(inquiryParts.inquiryId, inquiryId)).then((rows) => rows.filter((r) => r.department === department));
    await preparePart(db, inquiryId, { department, status: 'pending', nextAttemptAt: new Date(Date.now() - 1000) });
    const leased = (await leasePart(db, part!.id, 'w1', new Date()))!;
    out.push({ id: leased.id, inquiryId, department, categories: leased.categories, attempts: leased.attempts });
  }
  return out;
}

describe('issueWarrants', () => {
  it('issues the warrants of a claim in one statement: the parts still held get theirs, stored and audited; a part whose lease is gone gets none', async () => {
    const { db } = database;
    const parts = [...(await leasedParts()), ...(await leasedParts())];
    // The third part's lease went to another worker meanwhile.
    await db.update(inquiryParts).set({ leaseOwner: 'w2' }).where(eq(inquiryParts.id, parts[2]!.id));
    const transactions = vi.spyOn(db, 'transaction');
    const executes = vi.spyOn(db, 'execute');

    const outcomes = await issueWarrants(db, { parts, workerId: 'w1', signer, catalogue, now: new Date(), audit });

    expect(transactions).not.toHaveBeenCalled();
    expect(executes).toHaveBeenCalledTimes(1);
    transactions.mockRestore();
    executes.mockRestore();
    expect(parts.map((p) => outcomes.get(p.id)!.ok)).toEqual([true, true, false, true]);
    expect((outcomes.get(parts[2]!.id) as { error: unknown }).error).toBeInstanceOf(LeaseLost);
    const issued = parts.filter((_, i) => i !== 2);
    const jti = (id: string) => (outcomes.get(id) as { warrant: { claims: { jti: string } } }).warrant.claims.jti;

    const rows = await db.select().from(inquiryParts).where(inArray(inquiryParts.id, parts.map((p) => p.id)));
    const warrantIdOf = new Map(rows.map((r) => [r.id, r.warrantId]));
    for (const p of issued) expect(warrantIdOf.get(p.id)).toBe(jti(p.id));
    expect(warrantIdOf.get(parts[2]!.id)).toBeNull();
    const stored = await db.select({ warrantId: warrants.warrantId, partId: warrants.partId }).from(warrants).where(inArray(warrants.partId, parts.map((p) => p.id)));
    expect(stored.map((w) => w.partId).sort()).toEqual(issued.map((p) => p.id).sort());
    const entries = (await db.select({ details: auditEvents.details }).from(auditEvents).where(eq(auditEvents.action, 'warrant.issued')).orderBy(asc(auditEvents.id)))
      .map((e) => e.details as { partId: string; warrantId: string })
      .filter((d) => parts.some((p) => p.id === d.partId));
    // In the claim's order, one per warrant issued.
    expect(entries.map((d) => d.partId)).toEqual(issued.map((p) => p.id));
    expect(entries.map((d) => d.warrantId)).toEqual(issued.map((p) => jti(p.id)));
    expect(await auditLogIsWhole(database.db)).toBe(true);
  });

  it('appends nothing when no part of the claim is held any more', async () => {
    const { db } = database;
    const parts = await leasedParts();
    await db.update(inquiryParts).set({ leaseOwner: 'w2' }).where(inArray(inquiryParts.id, parts.map((p) => p.id)));
    const size = await currentTreeSize(db);

    const outcomes = await issueWarrants(db, { parts, workerId: 'w1', signer, catalogue, now: new Date(), audit });

    expect(parts.map((p) => outcomes.get(p.id)!.ok)).toEqual([false, false]);
    expect(await currentTreeSize(db)).toBe(size);
    expect(await db.select().from(warrants).where(inArray(warrants.partId, parts.map((p) => p.id)))).toEqual([]);
  });
});
