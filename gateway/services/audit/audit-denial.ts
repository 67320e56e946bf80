import type { Tx } from '../../db/client';
import { ServiceError } from '../../errors';
import type { Action, Decision } from '../../policy/authorize';
import type { RequestContext } from '../context';
import { appendAudit } from './append-audit';

/**
 * Records a refused attempt — who tried what, why, and which policies said no — in the caller's
 * transaction, so the refusal is in the log even though nothing else changed. Past the caller's
 * rate of refusals (denial-limit.ts) it writes nothing and answers 429 instead, the refusal being
 * counted for the window's one counting entry; with `hidden` (an inquiry the caller may not even
 * read, answered 404 like a missing one) it stays silent rather than betray that the inquiry exists.
 */
export async function auditDenial(
  tx: Tx,
  ctx: RequestContext,
  denial: { attempted: Action; verdict: Pick<Decision, 'reason' | 'policyIds'>; inquiryId?: string; department?: string; hidden?: boolean },
): Promise<void> {
  const actor = { userId: ctx.principal.userId, unitId: ctx.principal.unitId };
  const admitted = ctx.denials.admit(actor, denial.attempted, ctx.clock());
  if (admitted.kind === 'limited') {
    if (denial.hidden) return;
    throw new ServiceError('resource_exhausted', `too many refused requests; try again after ${admitted.until.toISOString()}`, { retryAt: admitted.until });
  }
  await appendAudit(
    tx,
    {
      action: 'authorization.denied',
      actor,
      ...(denial.inquiryId ? { inquiryId: denial.inquiryId } : {}),
      requestId: ctx.requestId,
      details: {
        attempted: denial.attempted,
        reason: denial.verdict.reason,
        policyIds: denial.verdict.policyIds,
        ...(denial.department ? { department: denial.department } : {}),
      },
    },
    ctx.audit,
  );
}
