import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { leagueOf, regionOf, type VerifiedApproval } from '../../proto/approval-evidence';
import { SignerRole } from '../../proto/signer-certificate';
import { Refusal } from './refusal';

/**
 * A department's own minimum approvals, from its rule file (adapters/departments/<name>/
 * approval-rules.json): per category, which approvals a warrant must carry — role, where the
 * approvers sit (`league`: the requesting unit's league, `region`: its region) and how many
 * distinct ones. A warrant for several categories needs the most of each kind any of them asks.
 * The gateway's policy may ask for more; a department never accepts less than its file says.
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
 * Whether distinct approvals (verifyEvidence already refused a key counted twice) can be given
 * to the requirements, one approval to one slot. A small search: warrants carry a handful.
 */
export function checkApprovalRules(rules: ApprovalRules, input: { unit: string; categories: readonly string[]; approvals: readonly VerifiedApproval[] }): void {
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
  if (!assign(0)) {
    const wanted = requirementsFor(rules, input.categories).map((r) => `${r.count} ${r.role} of the ${r.at}`).join(', ');
    throw new Refusal('approval_rule_unmet', `this department requires ${wanted}; the warrant carries ${input.approvals.length} approval(s) that do not cover it`);
  }
}
