import { describe, expect, it } from 'vitest';
import { ApprovalRules, approvalRulesBytes, approvalRulesDigest, unmetApprovalRules } from './approval-rules';
import { encodeHex } from './bytes';
import { sha256 } from './hash';

describe('approval rules as a receipt names them', () => {
  const rules = ApprovalRules.parse({ default: [{ role: 'approver', at: 'league', count: 1 }] });

  it('are digested in canonical form: the same rules written in another order give the same digest', () => {
    const reordered = ApprovalRules.parse(JSON.parse('{"categories":{},"default":[{"count":1,"at":"league","role":"approver"}]}'));
    expect(new TextDecoder().decode(approvalRulesBytes(rules))).toBe('{"categories":{},"default":[{"at":"league","count":1,"role":"approver"}]}');
    expect(approvalRulesDigest(reordered)).toBe(approvalRulesDigest(rules));
    expect(approvalRulesDigest(rules)).toBe(encodeHex(sha256(approvalRulesBytes(rules))));
    expect(approvalRulesDigest({ ...rules, default: [{ role: 'approver', at: 'league', count: 2 }] })).not.toBe(approvalRulesDigest(rules));
  });

  it('say what is missing when the approvals do not meet them', () => {
    const approval = { kid: 'k1', unit: '150600', role: 'approver' as const, step: 0, decidedAt: 0 };
    expect(unmetApprovalRules(rules, { unit: '150627', categories: ['household'], approvals: [approval] })).toBeNull();
    expect(unmetApprovalRules(rules, { unit: '150627', categories: ['household'], approvals: [{ ...approval, unit: '150000' }] })).toBe(
      '1 approver of the league; the warrant carries 1 approval(s) that do not cover it',
    );
  });
});
