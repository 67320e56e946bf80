import type { VerifiedEvidence } from '../../proto/approval-evidence';
import { ApprovalRules, unmetApprovalRules } from '../../proto/approval-rules';
import { EvidenceError, type OpenedEvidence } from '../../proto/evidence';
import type { WarrantClaims } from '../../proto/warrant';

/**
 * Check `approval-rules` of an evidence package (docs/formats.md, "Evidence package"): for each
 * answer whose receipt names the approval rules its department applied (`approval_rules`, the
 * digest of their canonical form), the package carries exactly those rules as
 * `approval-rules/<department>.json`, and the approvals of the warrant to that department —
 * already checked as certified for their role and unit — satisfy them, as the department's
 * adapter requires (proto/approval-rules.ts). Returns whether any answer was checked; an answer
 * whose receipt predates the claim is added to `unchecked`.
 */
export function checkApprovalRulesCarried(
  pkg: OpenedEvidence,
  answers: readonly { department: string; claimed: string | undefined; warrant: WarrantClaims; evidence: VerifiedEvidence }[],
  unchecked: string[],
): boolean {
  const fail = (message: string) => new EvidenceError('approval-rules', message);
  const named = new Set(answers.filter((a) => a.claimed).map((a) => `approval-rules/${a.department}.json`));
  const stray = pkg.paths.filter((p) => p.startsWith('approval-rules/') && !named.has(p));
  if (stray.length) throw fail(`${stray.join(', ')}: no receipt in the package names these rules`);
  for (const a of answers) {
    const path = `approval-rules/${a.department}.json`;
    if (!a.claimed) {
      unchecked.push(`approval rules of ${a.department} (its receipt names none)`);
      continue;
    }
    const carried = pkg.manifest.files.find((f) => f.path === path);
    if (!carried) throw fail(`the receipt of ${a.department} names approval rules ${a.claimed}, and the package has no ${path}`);
    if (carried.sha256 !== a.claimed) throw fail(`${path} (SHA-256 ${carried.sha256}) is not the rules ${a.department}'s receipt names (${a.claimed})`);
    let rules: ApprovalRules;
    try {
      rules = ApprovalRules.parse(JSON.parse(pkg.text(path)));
    } catch (error) {
      throw fail(`${path} is not a department's approval rules (${(error as Error).message.slice(0, 200)})`);
    }
    const unmet = unmetApprovalRules(rules, { unit: a.evidence.statement.unit, categories: Object.keys(a.warrant.categories), approvals: a.evidence.approvals });
    if (unmet) throw fail(`warrant ${a.warrant.jti} to ${a.department} does not meet the rules of ${path}: they require ${unmet}`);
  }
  return named.size > 0;
}
