import { readFile } from 'node:fs/promises';
import type { VerifiedApproval } from '../../proto/approval-evidence';
import { ApprovalRules, unmetApprovalRules } from '../../proto/approval-rules';
import { Refusal } from './refusal';

/**
 * A department's own minimum approvals, from its rule file (adapters/departments/<name>/
 * approval-rules.json). The format and the rule are in proto/approval-rules.ts, shared with the
 * evidence verifier; here the file is read and an unmet rule becomes the department's refusal.
 */
export { ApprovalRules, approvalRulesDigest, requirementsFor, type Requirement } from '../../proto/approval-rules';

export async function loadApprovalRules(file: string): Promise<ApprovalRules> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: cannot read the department's approval rules (${(error as Error).message})`);
  }
  const parsed = ApprovalRules.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${file}: ${issue.path.join('.') || '(root)'} ${issue.message}`);
  }
  return parsed.data;
}

export function checkApprovalRules(rules: ApprovalRules, input: { unit: string; categories: readonly string[]; approvals: readonly VerifiedApproval[] }): void {
  const unmet = unmetApprovalRules(rules, input);
  if (unmet) throw new Refusal('approval_rule_unmet', `this department requires ${unmet}`);
}
