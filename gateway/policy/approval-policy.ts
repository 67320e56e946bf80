import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { SENSITIVITIES, type Catalogue, type Sensitivity } from '../catalogue';
import { ROLES } from '../db/schema';
import { jsonLineIndex, lineOf, lineOfParseError } from './json-lines';

/**
 * policies/approvals.json: the approval chain each sensitivity needs, how long a pending inquiry
 * waits, and the fair-use limits. Read and checked at start, against the catalogue; a mistake
 * stops the start with `file:line: path: problem`.
 */

export const STEP_LEVELS = ['league', 'region'] as const;
export type StepLevel = (typeof STEP_LEVELS)[number];

export const ChainStep = z.strictObject({
  role: z.enum(ROLES),
  at: z.enum(STEP_LEVELS),
  count: z.number().int().min(1).max(10),
});
export type ChainStep = z.infer<typeof ChainStep>;

const Chain = z.array(ChainStep).min(1, 'a chain needs at least one step');

const DAYS = /^(\d{1,4})(d|h|m)$/;
const Expiry = z.string().refine((s) => DAYS.test(s), 'must be a duration like 7d, 48h or 90m');

const Limits = z.strictObject({
  inquiriesPerDay: z.number().int().min(1),
  subjectsPerDay: z.number().int().min(1),
});
export type Limits = z.infer<typeof Limits>;

export const ApprovalPolicyFile = z.strictObject({
  $comment: z.string().optional(),
  chains: z.strictObject(Object.fromEntries(SENSITIVITIES.map((s) => [s, Chain])) as Record<Sensitivity, typeof Chain>),
  byCategory: z.record(z.string(), Chain).default({}),
  pendingExpiresAfter: Expiry,
  fairUse: z.strictObject({
    utcOffset: z.string().regex(/^[+-](0\d|1[0-4]):[0-5]\d$/, 'must be an offset like +08:00'),
    perInvestigator: Limits,
    perUnit: Limits,
  }),
});

export interface ApprovalPolicy {
  source: string;
  chains: Record<Sensitivity, ChainStep[]>;
  byCategory: Record<string, ChainStep[]>;
  pendingExpiresAfterMs: number;
  fairUse: { utcOffsetMinutes: number; perInvestigator: Limits; perUnit: Limits };
}

export class PolicyFileError extends Error {
  override readonly name = 'PolicyFileError';
}

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

export function parseApprovalPolicy(text: string, source: string, catalogue: Catalogue): ApprovalPolicy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const line = lineOfParseError(text, err as Error);
    throw new PolicyFileError(`${source}${line ? `:${line}` : ''}: not valid JSON (${(err as Error).message})`);
  }
  const index = jsonLineIndex(text);
  const at = (path: readonly (string | number)[], message: string) => `${source}:${lineOf(index, path)}: ${path.join('.') || '(top level)'}: ${message}`;
  const parsed = ApprovalPolicyFile.safeParse(json);
  if (!parsed.success) {
    throw new PolicyFileError(parsed.error.issues.map((i) => at(i.path as (string | number)[], i.message)).join('\n'));
  }
  const p = parsed.data;
  const problems: string[] = [];
  for (const name of Object.keys(p.byCategory)) {
    if (!Object.hasOwn(catalogue.categories, name)) {
      const known = Object.keys(catalogue.categories).sort().join(', ');
      problems.push(at(['byCategory', name], `unknown category ${JSON.stringify(name)} (not in ${catalogue.source}; known: ${known})`));
    }
  }
  const chains: [string[], ChainStep[]][] = [
    ...Object.entries(p.chains).map(([k, v]): [string[], ChainStep[]] => [['chains', k], v]),
    ...Object.entries(p.byCategory).map(([k, v]): [string[], ChainStep[]] => [['byCategory', k], v]),
  ];
  for (const [path, chain] of chains) {
    chain.forEach((step, i) => {
      if (step.role !== 'approver' && step.role !== 'regional_approver') {
        problems.push(at([...path, i, 'role'], `${step.role} is not an approving role (approver or regional_approver)`));
      }
    });
  }
  if (problems.length) throw new PolicyFileError(problems.join('\n'));
  const [, amount, unit] = DAYS.exec(p.pendingExpiresAfter)!;
  const [sign, hh, mm] = [p.fairUse.utcOffset[0], p.fairUse.utcOffset.slice(1, 3), p.fairUse.utcOffset.slice(4, 6)];
  return {
    source,
    chains: p.chains,
    byCategory: p.byCategory,
    pendingExpiresAfterMs: Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS],
    fairUse: {
      utcOffsetMinutes: (sign === '-' ? -1 : 1) * (Number(hh) * 60 + Number(mm)),
      perInvestigator: p.fairUse.perInvestigator,
      perUnit: p.fairUse.perUnit,
    },
  };
}

export async function loadApprovalPolicy(file: string, catalogue: Catalogue): Promise<ApprovalPolicy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PolicyFileError(`${file}: cannot read the approval policy (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseApprovalPolicy(text, file, catalogue);
}

const RANK: Record<Sensitivity, number> = { standard: 0, sensitive: 1, highly_sensitive: 2 };

/** What an inquiry about these categories needs, fixed at submission. Every category must be known. */
export function requiredApprovals(
  policy: ApprovalPolicy,
  catalogue: Catalogue,
  categories: readonly string[],
): { sensitivity: Sensitivity; chain: ChainStep[] } {
  let sensitivity: Sensitivity = 'standard';
  for (const c of categories) {
    const s = catalogue.categories[c]!.sensitivity;
    if (RANK[s] > RANK[sensitivity]) sensitivity = s;
  }
  const total = (chain: ChainStep[]) => chain.reduce((n, s) => n + s.count, 0);
  let chain = policy.chains[sensitivity];
  for (const c of categories) {
    const own = Object.hasOwn(policy.byCategory, c) ? policy.byCategory[c] : undefined;
    if (own && total(own) > total(chain)) chain = own;
  }
  return { sensitivity, chain };
}
