import { eq, inArray } from 'drizzle-orm';
import { auditLeafHash } from '../../../proto/audit-log';
import { siblingIndexesForLeaf, storedHashesForLeaf, storedHashIndex, type Hash, type HashReader } from '../../../proto/merkle';
import type { DbOrTx, Tx } from '../../db/client';
import { auditLogEntries, auditLogHashes, auditLogTree } from '../../db/schema';

/**
 * The Merkle log in PostgreSQL: entries and stored hashes (proto/merkle.ts layout), appended
 * under the tree row's lock.
 *
 * Lock trade-off. `appendLogEntries` runs inside the caller's transaction and holds the
 * audit_log_tree row lock until that transaction ends. That is what makes "the state change and
 * its entry commit together" and contiguous indices across replicas both hold, with no second
 * transaction and no sequencer; the price is that audited transactions are serialised from their
 * append to their commit. The business transactions append last (after their own writes), so the
 * lock is held for one INSERT round trip and the commit: measured on PostgreSQL by
 * bench/audit.ts. A gateway that outgrows it would append to a pending table and sequence it in
 * batches, at the cost of proofs lagging the commit.
 */

export interface LogEntryRow {
  /** Canonical JSON. */
  text: string;
  action: string;
  inquiryId: string | null;
  department: string | null;
}

export class AuditLogDamaged extends Error {
  override readonly name = 'AuditLogDamaged';
}

const MAX_ROWS_PER_INSERT = 4000;

/** Appends entries in order; returns their indices. Must run inside a transaction. */
export async function appendLogEntries(tx: Tx, rows: readonly LogEntryRow[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const leaves = rows.map((r) => auditLeafHash(r.text));
  const [tree] = await tx.select({ size: auditLogTree.size }).from(auditLogTree).where(eq(auditLogTree.id, 1)).for('update');
  if (!tree) throw new AuditLogDamaged('the audit_log_tree row is missing: the audit log was not migrated');
  const first = tree.size;

  // Siblings that were stored before this batch: one query. The rest come from the batch itself.
  const firstNew = storedHashIndex(0, first);
  const needed = new Set<number>();
  for (let i = 0; i < rows.length; i++) for (const idx of siblingIndexesForLeaf(first + i)) if (idx < firstNew) needed.add(idx);
  const known = new Map<number, Hash>(needed.size ? (await readStoredHashes(tx, [...needed])).map((h, i) => [[...needed][i]!, h]) : []);
  const read: HashReader = (indexes) =>
    indexes.map((idx) => {
      const h = known.get(idx);
      if (!h) throw new AuditLogDamaged(`stored hash ${idx} is missing`);
      return h;
    });
  const hashRows: { idx: number; hash: Uint8Array }[] = [];
  for (let i = 0; i < rows.length; i++) {
    const n = first + i;
    const hashes = await storedHashesForLeaf(n, leaves[i]!, read);
    let idx = storedHashIndex(0, n);
    for (const hash of hashes) {
      known.set(idx, hash);
      hashRows.push({ idx: idx++, hash: Buffer.from(hash) });
    }
  }

  const entryRows = rows.map((r, i) => ({ idx: first + i, entry: r.text, action: r.action, inquiryId: r.inquiryId, department: r.department }));
  for (let i = 0; i < entryRows.length; i += MAX_ROWS_PER_INSERT) await tx.insert(auditLogEntries).values(entryRows.slice(i, i + MAX_ROWS_PER_INSERT));
  for (let i = 0; i < hashRows.length; i += MAX_ROWS_PER_INSERT) await tx.insert(auditLogHashes).values(hashRows.slice(i, i + MAX_ROWS_PER_INSERT));
  await tx.update(auditLogTree).set({ size: first + rows.length }).where(eq(auditLogTree.id, 1));
  return rows.map((_, i) => first + i);
}

/** Stored hashes by index, in the order asked; a missing one means the log was damaged. */
export async function readStoredHashes(db: DbOrTx, indexes: readonly number[]): Promise<Hash[]> {
  if (indexes.length === 0) return [];
  const found = await db.select().from(auditLogHashes).where(inArray(auditLogHashes.idx, [...new Set(indexes)]));
  const byIdx = new Map(found.map((r) => [r.idx, toBytes(r.hash)]));
  return indexes.map((idx) => {
    const h = byIdx.get(idx);
    if (!h) throw new AuditLogDamaged(`stored hash ${idx} is missing from audit_log_hashes`);
    return h;
  });
}

export const hashReader =
  (db: DbOrTx): HashReader =>
  (indexes) =>
    readStoredHashes(db, indexes);

export async function currentTreeSize(db: DbOrTx): Promise<number> {
  const [tree] = await db.select({ size: auditLogTree.size }).from(auditLogTree).where(eq(auditLogTree.id, 1));
  if (!tree) throw new AuditLogDamaged('the audit_log_tree row is missing');
  return tree.size;
}

/** PGlite hands back bytea as Uint8Array, node-postgres as Buffer; a hex string is tolerated. */
export function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string' && value.startsWith('\\x')) return Buffer.from(value.slice(2), 'hex');
  throw new AuditLogDamaged('a stored hash is not bytes');
}
