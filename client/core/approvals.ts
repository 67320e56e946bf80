import type { ApprovalProgress } from '../../proto/api/inquiries';

/** How `qiao show` and `qiao withdraw` present an inquiry's approvals: what it has, what it still needs. */

/** The contract's approval progress of an inquiry (proto/api/inquiries.ts). */
export type ApprovalsView = ApprovalProgress;

const ROLE = (role: string, count: number) =>
  `${count} ${role === 'regional_approver' ? 'regional approver' : 'approver'}${count === 1 ? '' : 's'}`;

/** e.g. "approvals (highly_sensitive): 1 of 3, 2 still needed" followed by one line per step. */
export function renderApprovals(inquiry: { status: string; approvals?: ApprovalsView; expiresAt?: string | null }): string {
  const a = inquiry.approvals;
  if (!a || a.steps.length === 0) return '';
  const needed = a.steps.reduce((n, s) => n + s.count, 0);
  const lines = [`approvals (${a.sensitivity}): ${needed - a.remaining} of ${needed}${a.remaining ? `, ${a.remaining} still needed` : ', complete'}`];
  a.steps.forEach((step, i) => {
    const mark = step.approvedBy.length >= step.count ? 'done' : a.next?.index === i ? 'NEXT' : 'waiting';
    const by = step.approvedBy.length ? ` — approved by ${step.approvedBy.join(', ')}` : '';
    lines.push(`  ${i + 1}. [${mark}] ${ROLE(step.role, step.count)} of unit ${step.unitId}${by}`);
  });
  if (inquiry.status === 'pending_approval' && inquiry.expiresAt) lines.push(`  expires ${inquiry.expiresAt} unless approved by then`);
  return lines.join('\n');
}
