import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Catalogue } from '../catalogue';
import { loadApprovalPolicy, PolicyFileError, type ApprovalPolicy } from './approval-policy';
import { createPolicyEngine, type PolicyEngine } from './authorize';
import { loadCedarPolicies } from './cedar-policies';

export const APPROVALS_FILE = 'approvals.json';

/**
 * Everything in the policy folder, checked: the Cedar schema and policies, the approval policy
 * (against the catalogue). Throws `PolicyFileError` naming every problem with file and line;
 * the gateway does not start on policies it cannot trust, and `npm run policies:check` runs this.
 */
export async function loadPolicies(
  dir: string,
  catalogue: Catalogue,
  logger?: Pick<Logger, 'error'>,
): Promise<{ policy: PolicyEngine; approvals: ApprovalPolicy }> {
  const [cedar, approvals] = await Promise.allSettled([loadCedarPolicies(dir), loadApprovalPolicy(join(dir, APPROVALS_FILE), catalogue)]);
  if (cedar.status === 'rejected' || approvals.status === 'rejected') {
    const failures = [cedar, approvals].flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
    if (failures.length === 1 || !failures.every((f) => f instanceof PolicyFileError)) throw failures[0];
    throw new PolicyFileError(failures.map((f) => f.message).join('\n'));
  }
  const policy = createPolicyEngine(cedar.value, { onError: (message) => logger?.error({ policyDir: dir }, message) });
  return { policy, approvals: approvals.value };
}
