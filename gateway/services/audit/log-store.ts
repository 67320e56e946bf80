import { DrizzleQueryError, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { auditLeafHash } from '../../../proto/audit-log';
import { appendToFrontier, frontierIndexes, HASH_SIZE, storedHashIndex, type Hash, type HashReader } from '../../../proto/merkle';
import type { Db, DbOrTx, Tx } from '../../db/client';
import { auditLogHashes, auditLogTree } from '../../db/schema';

/**
 * The Merkle log in PostgreSQL: entries and stored hashes (proto/merkle.ts layout), appended
 * under the tree row's lock.
 *
 * Lock trade-off. `appendLogEntries` runs inside the caller's transaction and holds the
 * audit_log_tree row lock until that transaction ends. That is what makes "the state change and
 * its entry commit together" and contiguous indices across replicas both hold, with no second
 * transaction and no sequencer; the price is that audited transactions are serialised from their
 * append to their commit. The business transactions append last (after their own writes), so the
 * lock is held for one statement (the append function) and the commit: measured on PostgreSQL by
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

/**
 * Appends entries in order; returns their indices. Must run inside a transaction. One round trip
 * under the lock: migration 0014's `qiao_audit_append` locks the tree row, hashes the new nodes,
 * inserts the entries and their stored hashes and moves the tree on; the leaf hashes are made
 * here. A kept frontier that does not fit the size (an older row) is rebuilt from the stored
 * hashes instead, under the lock the function took.
 */
export async function appendLogEntries(tx: Tx, rows: readonly LogEntryRow[]): Promise<number[]> {
  if (rows.length === 0) return [];
  const leaves = rows.map((r) => auditLeafHash(r.text));
  const result = await tx.execute(sql`select qiao_audit_append(
    ${sql.param(leaves.map((h) => Buffer.from(h).toString('hex')))}::text[], ${sql.param(rows.map((r) => r.text))}::text[],
    ${sql.param(rows.map((r) => r.action))}::text[], ${sql.param(rows.map((r) => r.inquiryId))}::uuid[],
    ${sql.param(rows.map((r) => r.department))}::text[]) as first`);
  const first = (result as unknown as { rows: { first: string | number | bigint | null }[] }).rows[0]?.first;
  const start = first === null || first === undefined ? await appendRebuildingFrontier(tx, rows, leaves) : Number(first);
  return rows.map((_, i) => start + i);
}

/**
 * The append as an expression of a statement that also makes the writes its entries record, run
 * on its own (`runAudited`): migration 0015's `qiao_audit_append_strict`, the one-statement
 * append, which raises FRONTIER_MISFIT rather than answering NULL, so that nothing of the
 * statement commits without its entries. Its value is the first entry's index. The statement
 * commits alone: one round trip for the writes, their entries and the commit.
 *
 * With `only`, just the entries whose key (one per row, in order) the subquery `only.in` yields
 * are appended, still in their order — the writes the statement made (a fenced update's RETURNING)
 * — and none at all (the value NULL) when it yields none.
 */
export function auditAppendCall(rows: readonly LogEntryRow[], only?: { keys: readonly string[]; in: SQL }, fn: SQL = sql.raw('qiao_audit_append_strict')): SQL {
  if (rows.length === 0) throw new Error('auditAppendCall: no entries');
  const leaves = sql.param(rows.map((r) => Buffer.from(auditLeafHash(r.text)).toString('hex')));
  const texts = sql.param(rows.map((r) => r.text));
  const actions = sql.param(rows.map((r) => r.action));
  const inquiryIds = sql.param(rows.map((r) => r.inquiryId));
  const departments = sql.param(rows.map((r) => r.department));
  if (!only) return sql`${fn}(${leaves}::text[], ${texts}::text[], ${actions}::text[], ${inquiryIds}::uuid[], ${departments}::text[])`;
  if (only.keys.length !== rows.length) throw new Error(`auditAppendCall: ${only.keys.length} keys for ${rows.length} entries`);
  return sql`(SELECT ${fn}(array_agg(e.leaf ORDER BY e.n), array_agg(e.entry ORDER BY e.n), array_agg(e.action ORDER BY e.n),
      array_agg(e.inquiry_id ORDER BY e.n), array_agg(e.department ORDER BY e.n))
    FROM unnest(${leaves}::text[], ${texts}::text[], ${actions}::text[], ${inquiryIds}::uuid[], ${departments}::text[], ${sql.param(only.keys)}::text[])
      WITH ORDINALITY AS e(leaf, entry, action, inquiry_id, department, key, n)
    WHERE e.key IN (${only.in})
    HAVING count(*) > 0)`;
}

/** The SQLSTATE of `qiao_audit_append_strict` when the kept frontier does not fit the tree's size. */
export const FRONTIER_MISFIT = 'QA001';

/**
 * Runs a statement built around `auditAppendCall`; if the kept frontier must be rebuilt first
 * (an older tree row: the statement rolled back whole), rebuilds it and runs it once more.
 */
export async function runAudited<T>(db: Db, statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (err) {
    const cause = err instanceof DrizzleQueryError ? err.cause : err;
    if ((cause as { code?: unknown } | undefined)?.code !== FRONTIER_MISFIT) throw err;
    await db.transaction(async (tx) => {
      const [tree] = await tx.select().from(auditLogTree).where(eq(auditLogTree.id, 1)).for('update');
      if (!tree) throw new AuditLogDamaged('the audit_log_tree row is missing: the audit log was not migrated');
      const frontier = await loadFrontier(tx, tree.size, toBytes(tree.frontier));
      await tx.execute(sql`UPDATE audit_log_tree SET frontier = decode(${Buffer.concat(frontier).toString('hex')}, 'hex') WHERE id = 1`);
    });
    return statement();
  }
}

/** The two-step append, for a tree row whose kept frontier does not fit its size. */
async function appendRebuildingFrontier(tx: Tx, rows: readonly LogEntryRow[], leaves: readonly Hash[]): Promise<number> {
  const [tree] = await tx.select().from(auditLogTree).where(eq(auditLogTree.id, 1)).for('update');
  if (!tree) throw new AuditLogDamaged('the audit_log_tree row is missing: the audit log was not migrated');
  const first = tree.size;
  const frontier = await loadFrontier(tx, first, toBytes(tree.frontier));
  const appended = appendToFrontier(first, frontier, leaves);
  const firstHash = storedHashIndex(0, first);
  await tx.execute(sql`
    WITH entries AS (
      INSERT INTO audit_log_entries (idx, entry, action, inquiry_id, department)
      SELECT * FROM unnest(${sql.param(rows.map((_, i) => first + i))}::bigint[], ${sql.param(rows.map((r) => r.text))}::text[],
        ${sql.param(rows.map((r) => r.action))}::text[], ${sql.param(rows.map((r) => r.inquiryId))}::uuid[], ${sql.param(rows.map((r) => r.department))}::text[])
    ), hashes AS (
      INSERT INTO audit_log_hashes (idx, hash)
      SELECT ${firstHash}::bigint + n - 1, decode(h, 'hex') FROM unnest(${sql.param(appended.stored.map((h) => Buffer.from(h).toString('hex')))}::text[]) WITH ORDINALITY AS t(h, n)
    )
    UPDATE audit_log_tree SET size = ${first + rows.length}, frontier = decode(${Buffer.concat(appended.frontier).toString('hex')}, 'hex') WHERE id = 1`);
  return first;
}

/** The frontier kept in the tree row, or — if it does not fit the size (an older row) — read from the stored hashes. */
async function loadFrontier(tx: Tx, size: number, packed: Uint8Array): Promise<Hash[]> {
  const indexes = frontierIndexes(size);
  if (packed.length === indexes.length * HASH_SIZE) {
    return indexes.map((_, i) => packed.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE));
  }
  return readStoredHashes(tx, indexes);
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
