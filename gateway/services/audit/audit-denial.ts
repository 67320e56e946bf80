import type { Tx } from '../../db/client';
import type { Action, Decision } from '../../policy/authorize';
import type { RequestContext } from '../context';
import { appendAudit } from './append-audit';

/**
 * Records a refused attempt — who tried what, why, and which policies said no — in the caller's
 * transaction, so the refusal is in the log even though nothing else changed.
 */
export function auditDenial(
  tx: Tx,
  ctx: RequestContext,
  denial: { attempted: Action; verdict: Pick<Decision, 'reason' | 'policyIds'>; inquiryId?: string; department?: string },
): Promise<number> {
  return appendAudit(
    tx,
    {
      action: 'authorization.denied',
      actor: { userId: ctx.principal.userId, unitId: ctx.principal.unitId },
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
