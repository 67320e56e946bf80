import { eq } from 'drizzle-orm';
import { CatalogueError, departmentsFor } from '../../catalogue';
import type { Tx } from '../../db/client';
import { inquiries, inquiryDecisions, inquiryParts } from '../../db/schema';
import { ServiceError } from '../../errors';
import { authorize } from '../../policy/authorize';
import { appendAudit } from '../audit/append-audit';
import type { RequestContext } from '../context';
import { describeError } from '../../logger';
import { parseInput } from '../parse-input';
import { findInquiry, inquiryNotFound } from './find-visible-inquiry';
import { DecideInquiry } from './schemas';
import { loadInquiryViews, type InquiryRow, type InquiryView } from './view';

type Outcome = { kind: 'decided'; view: InquiryView } | { kind: 'denied'; reason: string } | { kind: 'not_found' };

/**
 * Approves or rejects a pending inquiry. The decision, the state change, the parts (on approval)
 * and the audit entry commit in one transaction; a refused attempt commits only its audit entry.
 * The fan-out worker is woken only after the approval is durable.
 */
export async function decideInquiry(
  ctx: RequestContext,
  decision: 'approve' | 'reject',
  id: string,
  input: unknown,
): Promise<InquiryView> {
  const action = decision === 'approve' ? 'inquiry.approve' : 'inquiry.reject';
  const actor = { userId: ctx.principal.userId, unitId: ctx.principal.unitId };

  const outcome = await ctx.db.transaction(async (tx): Promise<Outcome> => {
    const found = await findInquiry(tx, id, { forUpdate: true });
    if (!found) return { kind: 'not_found' };
    const { row, resource } = found;
    const canRead = authorize(ctx.principal, 'inquiry.read', resource);
    const verdict = canRead.allowed ? authorize(ctx.principal, action, resource) : canRead;
    if (!verdict.allowed) {
      await appendAudit(tx, {
        action: 'authorization.denied',
        actor,
        inquiryId: row.id,
        requestId: ctx.requestId,
        details: { attempted: action, reason: verdict.reason },
      });
      // Someone who may not even read the inquiry learns nothing about it, not even that it exists.
      return canRead.allowed ? { kind: 'denied', reason: verdict.reason } : { kind: 'not_found' };
    }
    const body = parseInput(DecideInquiry, input);
    if (row.state !== 'pending_approval') {
      throw new ServiceError('failed_precondition', `the inquiry is already ${row.state}`);
    }
    const [saved] = await tx
      .insert(inquiryDecisions)
      .values({ inquiryId: row.id, userId: ctx.principal.userId, decision, comment: body.comment })
      .returning({ id: inquiryDecisions.id });
    const departments = decision === 'approve' ? await createParts(ctx, tx, row) : [];
    const [updated] = await tx
      .update(inquiries)
      .set({ state: decision === 'approve' ? 'approved' : 'rejected', updatedAt: ctx.clock() })
      .where(eq(inquiries.id, row.id))
      .returning();
    await appendAudit(tx, {
      action: decision === 'approve' ? 'inquiry.approved' : 'inquiry.rejected',
      actor,
      inquiryId: row.id,
      requestId: ctx.requestId,
      details: { decisionId: saved!.id, ...(decision === 'approve' ? { departments } : {}) },
    });
    const [view] = await loadInquiryViews(tx, [updated!]);
    return { kind: 'decided', view: view! };
  });

  if (outcome.kind === 'not_found') throw inquiryNotFound();
  if (outcome.kind === 'denied') throw new ServiceError('permission_denied', outcome.reason);
  if (decision === 'approve') {
    // The approval is committed: a worker that cannot be woken finds the parts on its next poll.
    try {
      ctx.fanout.wake();
    } catch (err) {
      ctx.logger.warn({ requestId: ctx.requestId, failure: describeError(err) }, 'could not wake the fan-out worker');
    }
  }
  return outcome.view;
}

/**
 * One part per department that serves any of the inquiry's categories. For now one approval is
 * final; when the policy asks for approval chains, parts are created at the last link only.
 */
async function createParts(ctx: RequestContext, tx: Tx, row: InquiryRow): Promise<string[]> {
  let byDepartment: Map<string, string[]>;
  try {
    byDepartment = departmentsFor(ctx.catalogue, row.categories);
  } catch (err) {
    if (!(err instanceof CatalogueError)) throw err;
    throw new ServiceError('failed_precondition', 'the inquiry names a category that is no longer in the catalogue', { cause: err });
  }
  const deadlineAt = new Date(ctx.clock().getTime() + ctx.partDeadlineMs);
  await tx
    .insert(inquiryParts)
    .values([...byDepartment].map(([department, categories]) => ({ inquiryId: row.id, department, categories, deadlineAt })));
  return [...byDepartment.keys()];
}

