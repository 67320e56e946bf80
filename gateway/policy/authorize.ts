import type { Principal } from '../auth/principal';
import type { InquiryState } from '../db/schema';

/**
 * The one authorization decision point. Every service asks here, with the same shape, before it
 * does anything; Cedar (policies/) replaces the body of this function later, not its callers.
 * Resources carry their unit's ancestry (`unitPath`: the unit, its parent, …, the region), the
 * way Cedar entities carry parents, so the decision itself needs no database.
 */

export type Action =
  | 'inquiry.submit'
  | 'inquiry.read'
  | 'inquiry.approve'
  | 'inquiry.reject'
  | 'result.read'
  | 'result.download'
  | 'audit.read_entries'
  | 'audit.read_proofs'
  | 'audit.checkpoint';

export type Resource =
  /** A unit something would be created in. */
  | { kind: 'unit'; unitId: string }
  | { kind: 'inquiry'; id: string; unitId: string; unitPath: readonly string[]; createdBy: string; state: InquiryState }
  /** The audit log, or one department's entries of it; `operatorOf`: the department the caller operates (users.department). */
  | { kind: 'audit_log'; department: string | null; operatorOf: string | null };

export interface Decision {
  allowed: boolean;
  reason: string;
}

const APPROVER_ROLES = ['approver', 'regional_approver'] as const;

export function isApprover(principal: Principal): boolean {
  return APPROVER_ROLES.some((r) => principal.roles.includes(r));
}

function isInvestigator(principal: Principal): boolean {
  return principal.roles.includes('investigator');
}

const allow = (reason: string): Decision => ({ allowed: true, reason });
const deny = (reason: string): Decision => ({ allowed: false, reason });

export function authorize(principal: Principal, action: Action, resource: Resource): Decision {
  switch (action) {
    case 'inquiry.submit':
      if (!isInvestigator(principal)) return deny('only investigators submit inquiries');
      if (resource.kind === 'audit_log') return deny('not a unit');
      if (resource.unitId !== principal.unitId) return deny('investigators submit inquiries for their own unit only');
      return allow('investigator of the unit');

    case 'inquiry.read': {
      if (resource.kind !== 'inquiry') return deny('not an inquiry');
      if (isInvestigator(principal) && resource.unitId === principal.unitId) return allow('investigator of the unit');
      if (isApprover(principal) && resource.unitPath.includes(principal.unitId)) return allow('approver above the unit');
      return deny('the inquiry belongs to a unit outside the caller’s reach');
    }

    case 'inquiry.approve':
    case 'inquiry.reject': {
      if (resource.kind !== 'inquiry') return deny('not an inquiry');
      if (!isApprover(principal)) return deny('only approvers decide inquiries');
      if (!resource.unitPath.includes(principal.unitId)) return deny('the inquiry belongs to a unit outside the approver’s subtree');
      if (resource.createdBy === principal.userId) return deny('nobody decides an inquiry they submitted');
      return allow('approver above the unit, not the submitter');
    }

    case 'result.read':
    case 'result.download':
      // Results are encrypted to the requesting unit's key: only its investigators can use them.
      if (resource.kind !== 'inquiry') return deny('not an inquiry');
      if (isInvestigator(principal) && resource.unitId === principal.unitId) return allow('investigator of the requesting unit');
      return deny('results go to investigators of the requesting unit only');

    case 'audit.read_entries':
      // Auditors read everything; a department's operator reads its own department's entries.
      if (resource.kind !== 'audit_log') return deny('not the audit log');
      if (principal.roles.includes('auditor')) return allow('auditor');
      if (principal.roles.includes('department_operator') && resource.operatorOf && resource.department === resource.operatorOf) {
        return allow('operator of the department');
      }
      return deny('the audit log is read by auditors, and by a department’s operator for its own entries');

    case 'audit.read_proofs':
      // Checkpoints and proofs are hashes only: every auditor and department operator may check them.
      if (principal.roles.includes('auditor') || principal.roles.includes('department_operator')) return allow('auditor or department operator');
      return deny('audit proofs are for auditors and department operators');

    case 'audit.checkpoint':
      if (principal.roles.includes('auditor') || principal.roles.includes('administrator')) return allow('auditor or administrator');
      return deny('checkpoints are requested by auditors and administrators');

    default: {
      const unknown: never = action;
      return deny(`unknown action ${String(unknown)}`);
    }
  }
}

/**
 * Which inquiries `inquiry.read` can allow, as a filter the list query applies in SQL: the
 * caller's own unit for investigators, the caller's whole subtree for approvers, nothing else.
 * Kept beside `authorize` and tested against it so the two cannot drift apart.
 */
export type ReadScope = { kind: 'none' } | { kind: 'unit'; unitId: string } | { kind: 'subtree'; rootUnitId: string };

export function inquiryReadScope(principal: Principal): ReadScope {
  if (isApprover(principal)) return { kind: 'subtree', rootUnitId: principal.unitId };
  if (isInvestigator(principal)) return { kind: 'unit', unitId: principal.unitId };
  return { kind: 'none' };
}
