import { inArray, sql } from 'drizzle-orm';
import { leaseHeld } from './receive-answer';
import type { Db } from '../db/client';
import { inquiryParts } from '../db/schema';

export type ClaimedPart = typeof inquiryParts.$inferSelect & {
  /** The part was running under another lease that expired: its last attempt died with its worker. */
  takenOver?: boolean;
};

export interface ClaimOptions {
  workerId: string;
  now: Date;
  leaseMs: number;
  limit: number;
}

/**
 * Takes up to `limit` due parts and leases them to `workerId`: pending parts, and running parts
 * whose lease has expired (their worker died), whose next attempt is due. One statement locks
 * the rows with SKIP LOCKED and writes the lease, so two workers never take the same part.
 *
 * The attempt counter goes up at claim time, not at the end: a part that crashes its worker
 * still uses up its attempts instead of taking workers down forever. The returned `attempts` is
 * the fencing token of this lease; every later write of the attempt checks it.
 *
 * MATERIALIZED keeps the locking subquery from being inlined into the UPDATE, where the
 * planner could run it more than once and lease more than `limit` rows.
 */
export async function claimDueParts(db: Db, options: ClaimOptions): Promise<ClaimedPart[]> {
  const now = options.now.toISOString();
  const leaseUntil = new Date(options.now.getTime() + options.leaseMs).toISOString();
  return db.transaction(async (tx) => {
    const claimed = await tx.execute(sql`
      WITH due AS MATERIALIZED (
        SELECT id, status AS previous_status FROM inquiry_parts
        WHERE (status = 'pending' OR (status = 'running' AND lease_expires_at < ${now}::timestamptz))
          AND next_attempt_at <= ${now}::timestamptz
        ORDER BY next_attempt_at, id
        LIMIT ${options.limit}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE inquiry_parts AS p
      SET status = 'running',
          lease_owner = ${options.workerId},
          lease_expires_at = ${leaseUntil}::timestamptz,
          attempts = p.attempts + 1,
          updated_at = ${now}::timestamptz
      FROM due
      WHERE p.id = due.id
      RETURNING p.id, due.previous_status`);
    // Both drivers (node-postgres, PGlite) answer a raw query with `{ rows }`.
    const rows = (claimed as unknown as { rows: { id: string; previous_status: string }[] }).rows;
    if (rows.length === 0) return [];
    const takenOver = new Set(rows.filter((r) => r.previous_status === 'running').map((r) => r.id));
    const parts = await tx.select().from(inquiryParts).where(inArray(inquiryParts.id, rows.map((r) => r.id))).orderBy(inquiryParts.nextAttemptAt);
    return parts.map((part) => ({ ...part, takenOver: takenOver.has(part.id) }));
  });
}

/**
 * Extends the lease of a part this worker still holds (same owner, same attempt, still running);
 * false when it does not hold it any more (taken over after an expiry, or settled).
 */
export async function renewLease(
  db: Db,
  options: { workerId: string; part: Pick<ClaimedPart, 'id' | 'attempts'>; now: Date; leaseMs: number },
): Promise<boolean> {
  const rows = await db
    .update(inquiryParts)
    .set({ leaseExpiresAt: new Date(options.now.getTime() + options.leaseMs) })
    .where(leaseHeld(options.workerId, options.part))
    .returning({ id: inquiryParts.id });
  return rows.length > 0;
}
