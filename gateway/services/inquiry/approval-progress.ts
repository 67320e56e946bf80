import type { ApprovalProgress } from '../../../proto/api/inquiries';
import type { ApprovalStepRecord } from '../../db/schema';

/** Where an inquiry stands in its approval chain: the contract's shape (proto/api/inquiries.ts). */
export type { ApprovalProgress };

/**
 * Replays the recorded approvals onto the chain fixed at submission. Each approval records the
 * step it filled; steps fill in order, so the next step is the first one short of its count.
 */
export function approvalProgress(
  sensitivity: string,
  chain: readonly ApprovalStepRecord[],
  approvals: readonly { chainStep: number | null; approver: string }[],
): ApprovalProgress {
  const steps = chain.map((step, index) => ({
    ...step,
    approvedBy: approvals.filter((a) => a.chainStep === index).map((a) => a.approver),
  }));
  const nextIndex = steps.findIndex((s) => s.approvedBy.length < s.count);
  const remaining = steps.reduce((n, s) => n + Math.max(0, s.count - s.approvedBy.length), 0);
  const next = nextIndex === -1 ? null : { index: nextIndex, role: steps[nextIndex]!.role, unitId: steps[nextIndex]!.unitId };
  return { sensitivity, steps, next, remaining };
}
