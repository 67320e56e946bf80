import { describe, expect, it } from 'vitest';
import type { VerifiedApproval } from '../../proto/approval-evidence';
import bankRules from '../departments/bank/approval-rules.json';
import householdRules from '../departments/public-security/approval-rules.json';
import { ApprovalRules, checkApprovalRules, requirementsFor } from './approval-rules';
import { Refusal } from './refusal';

const bank = ApprovalRules.parse(bankRules);
const ps = ApprovalRules.parse(householdRules);
let n = 0;
const a = (unit: string, role: VerifiedApproval['role']): VerifiedApproval => ({ kid: `sk-${++n}`, unit, role, step: 0, decidedAt: 0 });
const verdict = (rules: ApprovalRules, categories: string[], approvals: VerifiedApproval[], unit = '150627') => {
  try {
    checkApprovalRules(rules, { unit, categories, approvals });
    return 'ok';
  } catch (e) {
    return e instanceof Refusal ? e.code : String(e);
  }
};

describe("a department's own minimum rules", () => {
  it('the bank: transactions need the league and two distinct regional approvers; accounts one', () => {
    const league = a('150600', 'approver');
    const r1 = a('150000', 'regional_approver');
    const r2 = a('150000', 'regional_approver');
    expect(verdict(bank, ['bank_transactions'], [league, r1, r2])).toBe('ok');
    expect(verdict(bank, ['bank_transactions'], [league, r1])).toBe('approval_rule_unmet');
    expect(verdict(bank, ['bank_accounts'], [league, r1])).toBe('ok');
    // The strictest category decides for a warrant of both.
    expect(verdict(bank, ['bank_accounts', 'bank_transactions'], [league, r1])).toBe('approval_rule_unmet');
    expect(requirementsFor(bank, ['bank_accounts', 'bank_transactions'])).toEqual([
      { role: 'approver', at: 'league', count: 1 },
      { role: 'regional_approver', at: 'region', count: 2 },
    ]);
    // Approvers of another league, or an approver where a regional one is needed, do not count.
    expect(verdict(bank, ['bank_accounts'], [a('152900', 'approver'), r1])).toBe('approval_rule_unmet');
    expect(verdict(bank, ['bank_accounts'], [league, a('150000', 'approver')])).toBe('approval_rule_unmet');
  });

  it('public security: one approver of the requesting unit’s league; for a region’s own inquiry the region is its league', () => {
    expect(verdict(ps, ['household'], [a('150600', 'approver')])).toBe('ok');
    expect(verdict(ps, ['household'], [a('150000', 'regional_approver')])).toBe('approval_rule_unmet');
    expect(verdict(ps, ['household'], [a('150000', 'approver')], '150000')).toBe('ok');
  });
});
