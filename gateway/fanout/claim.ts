import { and, eq, inArray, or, sql } from 'drizzle-orm';
import { leaseHeld } from './receive-answer';
import { perDatabase, type Db } from '../db/client';
import { inquiryParts } from '../db/schema';

export type ClaimedPart = typeof inquiryParts.$inferSelect & {
  /** The part was running under another lease that expired: its last attempt died with its worker. */
  takenOver?: boolean;
};

/**
 * The `failure_reason` a claim writes when it takes over a running part whose lease ran out: the
 * attempt before ended without a word (its worker died or stalled). The reason of the failure
 * before that, if any, follows in parentheses (`… (before that: transport: bank unreachable)`).
 * It is also how the claim
 * tells a takeover from a pending part in the one statement's RETURNING, which sees only the
 * new values.
 */
export const TAKEN_OVER_REASON = 'taken over: the worker that held the part did not renew its lease before it ran out';

export interface ClaimOptions {
  workerId: string;
  now: Date;
  leaseMs: number;
  limit: number;
  /**
   * Parts this worker already has in flight: never claimed again, even when their lease ran out
   * (a renewal that came late, the event loop stalled). Taking them over would run the same part
   * twice in this process; their own renewal or fence settles them.
   */
  exclude?: readonly string[];
}

/**
 * Takes up to `limit` due parts and leases them to `workerId`: pending parts, and running parts
 * whose lease has expired (their worker died), whose next attempt is due. One statement, no
 * transaction: the subquery locks the rows with SKIP LOCKED and the UPDATE writes the lease and
 * returns the rows, so two workers never take the same part and a claim costs one round trip.
 * The subquery is not correlated, so it runs once and the UPDATE leases at most `limit` rows.
 *
 * The attempt counter goes up at claim time, not at the end: a part that crashes its worker
 * still uses up its attempts instead of taking workers down forever. The returned `attempts` is
 * the fencing token of this lease; every later write of the attempt checks it.
 */
export async function claimDueParts(db: Db, options: ClaimOptions): Promise<ClaimedPart[]> {
  const { now } = options;
  const parts = await preparedClaim(db).execute({
    workerId: options.workerId,
    now: now.toISOString(),
    leaseExpiresAt: new Date(now.getTime() + options.leaseMs).toISOString(),
    limit: options.limit,
    exclude: [...(options.exclude ?? [])],
  });
  // RETURNING has no order: the longest-waiting first, as the subquery chose them.
  parts.sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return parts.map((part) => ({ ...part, takenOver: part.failureReason?.startsWith(TAKEN_OVER_REASON) ?? false }));
}

/** The claim's one statement, built and prepared once per database (its values are placeholders). */
const preparedClaim = perDatabase((db: Db) => {
  const now = sql`${sql.placeholder('now')}::timestamptz`;
  const due = db
    .select({ id: inquiryParts.id })
    .from(inquiryParts)
    .where(
      and(
        or(eq(inquiryParts.status, 'pending'), and(eq(inquiryParts.status, 'running'), sql`${inquiryParts.leaseExpiresAt} < ${now}`)),
        sql`${inquiryParts.nextAttemptAt} <= ${now}`,
        // The parts this worker has in flight (an empty list excludes nothing).
        sql`${inquiryParts.id} <> ALL(${sql.placeholder('exclude')}::uuid[])`,
      ),
    )
    .orderBy(inquiryParts.nextAttemptAt, inquiryParts.id)
    .limit(sql.placeholder('limit'))
    .for('update', { skipLocked: true });
  // SET's right-hand sides read the row as it was: `status` is still the old one there.
  return db
    .update(inquiryParts)
    .set({
      status: 'running',
      leaseOwner: sql`${sql.placeholder('workerId')}`,
      leaseExpiresAt: sql`${sql.placeholder('leaseExpiresAt')}::timestamptz`,
      attempts: sql`${inquiryParts.attempts} + 1`,
      updatedAt: now,
      // A takeover keeps the reason the part failed with before (the one a person wants when it
      // finally gives up), once: a reason that is already a takeover's stays as it is.
      failureReason: sql`CASE WHEN ${inquiryParts.status} <> 'running' THEN ${inquiryParts.failureReason}
        WHEN ${inquiryParts.failureReason} IS NULL THEN ${TAKEN_OVER_REASON}
        WHEN left(${inquiryParts.failureReason}, ${TAKEN_OVER_REASON.length}) = ${TAKEN_OVER_REASON} THEN ${inquiryParts.failureReason}
        ELSE ${TAKEN_OVER_REASON} || ' (before that: ' || ${inquiryParts.failureReason} || ')' END`,
    })
    .where(inArray(inquiryParts.id, due))
    .returning()
    .prepare('qiao_claim_due_parts');
});

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
