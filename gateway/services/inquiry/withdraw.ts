import { eq } from 'drizzle-orm';
import { inquiries } from '../../db/schema';
import { ServiceError } from '../../errors';
import { appendAudit } from '../audit/append-audit';
import { auditDenial } from '../audit/audit-denial';
import type { RequestContext } from '../context';
import { isOverdue, persistExpiry } from './expire';
import { findInquiry, inquiryNotFound } from './find-visible-inquiry';
import type { InquiryView, WithdrawInquiry } from '../../../proto/api/inquiries';
import { loadInquiryViews } from './view';

type Outcome = { kind: 'withdrawn'; view: InquiryView } | { kind: 'denied'; reason: string } | { kind: 'expired'; at: string } | { kind: 'not_found' };

/** The investigator who submitted a pending inquiry takes it back; it can no longer be approved. */
export async function withdrawInquiry({ ctx, input }: { ctx: RequestContext; input: { id: string; body: WithdrawInquiry } }): Promise<InquiryView> {
  const actor = { userId: ctx.principal.userId, unitId: ctx.principal.unitId };
  const now = ctx.clock();
  const outcome = await ctx.db.transaction(async (tx): Promise<Outcome> => {
    const found = await findInquiry(tx, input.id, { forUpdate: true, now, ancestry: ctx.directory.ancestry });
    if (!found || !ctx.policy.authorize(ctx.principal, 'inquiry.read', found.resource).allowed) return { kind: 'not_found' };
    const { row, resource } = found;
    const verdict = ctx.policy.authorize(ctx.principal, 'inquiry.withdraw', resource);
    if (!verdict.allowed) {
      await auditDenial(tx, ctx, { attempted: 'inquiry.withdraw', verdict, inquiryId: row.id });
      return { kind: 'denied', reason: verdict.reason };
    }
    const { body } = input;
    if (isOverdue(row, now)) {
      await persistExpiry(tx, ctx.audit, row, now, ctx.requestId);
      return { kind: 'expired', at: row.expiresAt!.toISOString() };
    }
    if (row.state !== 'pending_approval') throw new ServiceError('failed_precondition', `the inquiry is already ${row.state}`);
    const [updated] = await tx.update(inquiries).set({ state: 'withdrawn', updatedAt: now }).where(eq(inquiries.id, row.id)).returning();
    await appendAudit(tx, {
      action: 'inquiry.withdrawn',
      actor,
      inquiryId: row.id,
      requestId: ctx.requestId,
      details: { policyIds: verdict.policyIds, ...(body.reason ? { reason: body.reason } : {}) },
    }, ctx.audit);
    const [view] = await loadInquiryViews(tx, [updated!], now);
    return { kind: 'withdrawn', view: view! };
  });
  if (outcome.kind === 'not_found') throw inquiryNotFound();
  if (outcome.kind === 'denied') throw new ServiceError('permission_denied', outcome.reason);
  if (outcome.kind === 'expired') throw new ServiceError('failed_precondition', `the inquiry expired at ${outcome.at} without being approved`);
  return outcome.view;
}
