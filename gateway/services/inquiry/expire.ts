import { and, eq, lte, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db, Tx } from '../../db/client';
import { inquiries } from '../../db/schema';
import { appendAudit, type AuditWriter } from '../audit/append-audit';

// The row type is restated from the table, not imported from ./view: view.ts imports this module.
type InquiryRow = typeof inquiries.$inferSelect;

/**
 * Pending inquiries expire `pendingExpiresAfter` (policies/approvals.json) after submission.
 * Two mechanisms, one rule: readers see an overdue pending inquiry as expired at once
 * (`effectiveState`), and the state is written — with its audit entry — by whoever acts on it
 * first (a decision or a withdrawal, under the row lock) or by the sweep every gateway runs.
 */
export function isOverdue(row: Pick<InquiryRow, 'state' | 'expiresAt'>, now: Date): boolean {
  return row.state === 'pending_approval' && row.expiresAt !== null && row.expiresAt.getTime() <= now.getTime();
}

export function effectiveState(row: Pick<InquiryRow, 'state' | 'expiresAt'>, now: Date): InquiryRow['state'] {
  return isOverdue(row, now) ? 'expired' : row.state;
}

/** Writes the expiry of a locked, overdue row and its audit entry. */
export async function persistExpiry(tx: Tx, audit: AuditWriter, row: InquiryRow, now: Date, requestId?: string): Promise<void> {
  await tx.update(inquiries).set({ state: 'expired', updatedAt: now }).where(eq(inquiries.id, row.id));
  await appendAudit(tx, {
    action: 'inquiry.expired',
    inquiryId: row.id,
    ...(requestId ? { requestId } : {}),
    details: { expiresAt: row.expiresAt?.toISOString() ?? null },
  }, audit);
}

/** Expires every overdue pending inquiry, a batch at a time; rows another replica holds are skipped. */
export async function expireOverdueInquiries(db: Db, audit: AuditWriter, now: Date, batch = 100): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await db.transaction(async (tx) => {
      const rows = await tx
        .select()
        .from(inquiries)
        .where(and(eq(inquiries.state, 'pending_approval'), lte(inquiries.expiresAt, now)))
        .limit(batch)
        .for('update', { skipLocked: true });
      for (const row of rows) await persistExpiry(tx, audit, row, now);
      return rows.length;
    });
    total += n;
    if (n < batch) return total;
  }
}

export function startExpirySweep(options: { db: Db; audit: AuditWriter; logger: Logger; intervalMs: number; clock?: () => Date }): { stop(): Promise<void> } {
  const clock = options.clock ?? (() => new Date());
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = expireOverdueInquiries(options.db, options.audit, clock())
      .then((n) => n && options.logger.info({ expired: n }, 'pending inquiries expired'))
      .catch((err: unknown) => options.logger.warn({ err: (err as Error).message }, 'expiry sweep failed; retrying at the next interval'));
  }, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** For list filters: the SQL meaning of `effectiveState(row) = state`. */
export function stateCondition(state: InquiryRow['state'], now: Date) {
  if (state === 'pending_approval') {
    return sql`(${inquiries.state} = 'pending_approval' and (${inquiries.expiresAt} is null or ${inquiries.expiresAt} > ${now}))`;
  }
  if (state === 'expired') {
    return sql`(${inquiries.state} = 'expired' or (${inquiries.state} = 'pending_approval' and ${inquiries.expiresAt} <= ${now}))`;
  }
  return eq(inquiries.state, state);
}
