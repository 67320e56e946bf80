import { randomUUID } from 'node:crypto';
import { asc } from 'drizzle-orm';
import { auditLeafHash } from '../../proto/audit-log';
import { hashEquals, RootAccumulator, treeHash } from '../../proto/merkle';
import type { Db } from '../db/client';
import { auditLogEntries } from '../db/schema';
import { currentTreeSize, hashReader } from '../services/audit/log-store';
import type { AuditAction, AuditDetails } from '../../proto/audit-entry';
import vector from '../../proto/vectors/audit-entries-v1.json';
import type { AuditEntry } from '../services/audit/append-audit';

/**
 * A valid entry of `action` to append in a test: the contract's example of that action
 * (proto/vectors/audit-entries-v1.json) with the test's own inquiry id and details merged in.
 * Tests that append directly use it so that what they append is what the gateway could write.
 */
export function exampleAuditEntry<A extends AuditAction>(
  action: A,
  overrides: { inquiryId?: string; actor?: { userId: string; unitId: string }; details?: Partial<AuditDetails<A>> } = {},
): AuditEntry {
  const text = vector.entries.map((e) => e.entry).find((e) => JSON.parse(e).action === action);
  if (!text) throw new Error(`the audit vector has no example of ${action}`);
  const example = JSON.parse(text) as { actor?: { userId: string; unitId: string }; inquiryId?: string; requestId?: string; details: Record<string, unknown> };
  const { commitments: _, ...details } = { ...example.details, ...overrides.details } as Record<string, unknown>;
  const entry = {
    action,
    ...(example.actor || overrides.actor ? { actor: overrides.actor ?? example.actor } : {}),
    ...(example.inquiryId ? { inquiryId: overrides.inquiryId ?? randomUUID() } : {}),
    ...(example.requestId ? { requestId: randomUUID() } : {}),
    details: action === 'inquiry.submitted' ? details : { ...example.details, ...overrides.details },
    ...(action === 'inquiry.submitted' ? { committed: { caseReference: `CASE-${randomUUID()}`, subjectIds: ['150627196803120034'] } } : {}),
  };
  return entry as unknown as AuditEntry;
}

/**
 * The log is whole: the root of the tree's stored hashes at its size is the root of every entry's
 * leaf, read in index order. Tests that write around the append (a frontier rebuilt, a statement
 * that failed) check that nothing was lost, doubled or left out of the tree.
 */
export async function auditLogIsWhole(db: Db): Promise<boolean> {
  const acc = new RootAccumulator();
  for (const row of await db.select().from(auditLogEntries).orderBy(asc(auditLogEntries.idx))) acc.push(auditLeafHash(row.entry));
  return hashEquals(await treeHash(await currentTreeSize(db), hashReader(db)), acc.root());
}
