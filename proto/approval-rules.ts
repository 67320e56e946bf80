import { z } from 'zod';
import { leagueOf, regionOf, type VerifiedApproval } from './approval-evidence';
import { encodeHex, encodeUtf8 } from './bytes';
import { canonicalJson } from './canonical-json';
import { sha256 } from './hash';
import { SignerRole } from './signer-certificate';

/**
 * A department's own minimum approvals (docs/formats.md, "Approval rules"): per category, which
 * approvals a warrant must carry — role, where the approvers sit (`league`: the requesting
 * unit's league, `region`: its region) and how many distinct ones. A warrant for several
 * categories needs the most of each kind any of them asks. The gateway's policy may ask for
 * more; a department never accepts less than its file says (adapters/kit/approval-rules.ts).
 * Here so that an evidence package can show, and its verifier recheck, the rules each department
 * applied: the receipt's `approval_rules` claim is `approvalRulesDigest` of them.
 */
const Requirement = z.strictObject({
  role: SignerRole.exclude(['investigator']),
  at: z.enum(['league', 'region']),
  count: z.number().int().min(1).max(10),
});
export type Requirement = z.infer<typeof Requirement>;

export const ApprovalRules = z.strictObject({
  $comment: z.string().optional(),
  /** For a category the file does not name. */
  default: z.array(Requirement).min(1),
  categories: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/), z.array(Requirement).min(1)).default({}),
});
export type ApprovalRules = z.infer<typeof ApprovalRules>;

/** The rules as one canonical text (RFC 8785, after parsing): what an evidence package carries. */
export function approvalRulesBytes(rules: ApprovalRules): Uint8Array {
  return encodeUtf8(canonicalJson(rules));
}

/** Lowercase hex SHA-256 of `approvalRulesBytes`: the receipt's `approval_rules` claim. */
export function approvalRulesDigest(rules: ApprovalRules): string {
  return encodeHex(sha256(approvalRulesBytes(rules)));
}

/** What a warrant for these categories needs: the strictest count of each (role, at). */
export function requirementsFor(rules: ApprovalRules, categories: readonly string[]): Requirement[] {
  const need = new Map<string, Requirement>();
  for (const category of categories) {
    for (const r of Object.hasOwn(rules.categories, category) ? rules.categories[category]! : rules.default) {
      const key = `${r.role}@${r.at}`;
      if ((need.get(key)?.count ?? 0) < r.count) need.set(key, r);
    }
  }
  return [...need.values()];
}

/**
 * Whether distinct approvals (a key counted twice is refused before, proto/approval-evidence.ts)
 * can be given to the requirements, one approval to one slot: `null` when they can, else what is
 * required, for the refusal. A small search: warrants carry a handful.
 */
export function unmetApprovalRules(rules: ApprovalRules, input: { unit: string; categories: readonly string[]; approvals: readonly VerifiedApproval[] }): string | null {
  const slots = requirementsFor(rules, input.categories).flatMap((r) => Array<Requirement>(r.count).fill(r));
  const fits = (a: VerifiedApproval, r: Requirement) => a.role === r.role && a.unit === (r.at === 'league' ? leagueOf(input.unit) : regionOf(input.unit));
  const used = new Array<boolean>(input.approvals.length).fill(false);
  const assign = (i: number): boolean => {
    if (i === slots.length) return true;
    for (const [j, a] of input.approvals.entries()) {
      if (used[j] || !fits(a, slots[i]!)) continue;
      used[j] = true;
      if (assign(i + 1)) return true;
      used[j] = false;
    }
    return false;
  };
  if (assign(0)) return null;
  const wanted = requirementsFor(rules, input.categories).map((r) => `${r.count} ${r.role} of the ${r.at}`).join(', ');
  return `${wanted}; the warrant carries ${input.approvals.length} approval(s) that do not cover it`;
}
