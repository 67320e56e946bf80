import { sql } from 'drizzle-orm';
import { bigint, customType, index, pgTable, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

/**
 * The audit log: an RFC 9162 Merkle tree over canonical-JSON entries (gateway/services/audit/,
 * proto/merkle.ts). Entries, stored hashes and checkpoints are insert-only — triggers raise on
 * UPDATE, DELETE and TRUNCATE (migration 0003) — and written through `appendAudit` only.
 */
export const auditLogEntries = pgTable(
  'audit_log_entries',
  {
    /** 0-based position in the tree; contiguous, assigned under the audit_log_tree row lock. */
    idx: bigint('idx', { mode: 'number' }).primaryKey(),
    /** The entry in RFC 8785 canonical JSON: exactly the bytes hashed into the leaf. */
    entry: text('entry').notNull(),
    // Copies of entry fields for queries (a department's entries, an inquiry's). Verifiers
    // never trust them: they read `entry`.
    action: text('action').notNull(),
    inquiryId: uuid('inquiry_id'),
    department: text('department'),
  },
  (t) => [index('audit_log_entries_inquiry_idx').on(t.inquiryId), index('audit_log_entries_department_idx').on(t.department, t.idx)],
);

/**
 * Every complete subtree hash, written once, at the index Go's sumdb/tlog gives it
 * (`storedHashIndex(level, n)`): ~2 rows per entry, and any root or proof reads O(log n) rows.
 */
export const auditLogHashes = pgTable('audit_log_hashes', {
  idx: bigint('idx', { mode: 'number' }).primaryKey(),
  hash: bytea('hash').notNull(),
});

/**
 * One row (id = 1): the tree size and its right frontier (the hashes of its complete subtrees,
 * largest first, concatenated), all an append needs. Every append locks it FOR UPDATE, which
 * serialises appends across gateway replicas and keeps indices contiguous; it is the only audit
 * table updated. The frontier is a cache of stored hashes, rebuilt from them if it disagrees.
 */
export const auditLogTree = pgTable('audit_log_tree', {
  id: smallint('id').primaryKey(),
  size: bigint('size', { mode: 'number' }).notNull(),
  frontier: bytea('frontier').notNull().default(sql`'\\x'::bytea`),
});

/** Every signed checkpoint, kept (signed-note text, proto/checkpoint.ts). */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  size: bigint('size', { mode: 'number' }).primaryKey(),
  root: bytea('root').notNull(),
  note: text('note').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
