import { sql, type SQL } from 'drizzle-orm';
import { ServiceError } from '../../errors';
import type { ApprovalPolicy, Limits } from '../../policy/approval-policy';

/** The start of the policy's day containing `now`, and of the next one. */
export function policyDay(now: Date, utcOffsetMinutes: number): { start: Date; end: Date } {
  const shifted = now.getTime() + utcOffsetMinutes * 60_000;
  const startShifted = shifted - (((shifted % 86_400_000) + 86_400_000) % 86_400_000);
  const start = new Date(startShifted - utcOffsetMinutes * 60_000);
  return { start, end: new Date(start.getTime() + 86_400_000) };
}

/** A day's usage as `qiao_fair_use_usage` (migration 0016) answers it; counts as the driver gives them. */
export interface FairUseUsage {
  user_inquiries: string | number;
  user_subjects: string | number;
  unit_inquiries: string | number;
  unit_subjects: string | number;
  taken: boolean;
}

/**
 * The fair-use check of a submission, as parts of the one statement that also inserts it: `usage`
 * takes the investigator's and the unit's advisory locks and counts both days' usage after them
 * (migration 0016: two concurrent submissions of one unit are counted one after the other and
 * cannot both slip under; the locks are held until that statement commits), `allows` — over that
 * usage as a relation named `usage` — holds when
 * neither daily limit of the policy would be passed and a signed statement's id is not taken, and
 * `refusal` says why not from the usage the statement answered. Every submission counts, whatever
 * became of it: withdrawing does not give quota back.
 */
export function fairUseCheck(
  policy: ApprovalPolicy,
  who: { userId: string; unitId: string },
  subjects: number,
  now: Date,
  /** An inquiry id the submission wants: whether it is taken is read with the usage. */
  wantedId?: string,
): { usage: SQL; allows: SQL; refusal: (usage: FairUseUsage) => ServiceError | null } {
  const { start, end } = policyDay(now, policy.fairUse.utcOffsetMinutes);
  const { perInvestigator: mine, perUnit: unit } = policy.fairUse;
  return {
    usage: sql`SELECT * FROM qiao_fair_use_usage(${who.userId}, ${who.unitId}, ${start.toISOString()}::timestamptz, ${wantedId ?? null}::uuid)`,
    allows: sql`NOT usage.taken
      AND usage.user_inquiries + 1 <= ${mine.inquiriesPerDay}::bigint AND usage.user_subjects + ${subjects}::bigint <= ${mine.subjectsPerDay}::bigint
      AND usage.unit_inquiries + 1 <= ${unit.inquiriesPerDay}::bigint AND usage.unit_subjects + ${subjects}::bigint <= ${unit.subjectsPerDay}::bigint`,
    refusal(usage) {
      const over = (scope: 'perInvestigator' | 'perUnit', limits: Limits, used: { inquiries: number; subjects: number }) => {
        const what =
          used.inquiries + 1 > limits.inquiriesPerDay
            ? { name: 'inquiriesPerDay', limit: limits.inquiriesPerDay, text: `${limits.inquiriesPerDay} inquiries per day` }
            : used.subjects + subjects > limits.subjectsPerDay
              ? { name: 'subjectsPerDay', limit: limits.subjectsPerDay, text: `${limits.subjectsPerDay} subjects per day (${used.subjects} used today, this inquiry names ${subjects})` }
              : null;
        if (!what) return null;
        return new ServiceError('resource_exhausted', `fair-use limit reached: ${what.text} ${scope === 'perInvestigator' ? 'per investigator' : 'per unit'}; the limit resets at ${end.toISOString()}`, {
          details: [{ path: `fairUse.${scope}.${what.name}`, message: `limit ${what.limit}, resets at ${end.toISOString()}` }],
          retryAt: end,
        });
      };
      return (
        over('perInvestigator', mine, { inquiries: Number(usage.user_inquiries), subjects: Number(usage.user_subjects) }) ??
        over('perUnit', unit, { inquiries: Number(usage.unit_inquiries), subjects: Number(usage.unit_subjects) }) ??
        (usage.taken
          ? new ServiceError('invalid_argument', 'signed.statement: inquiry_id is already taken; sign a new statement with a fresh id', {
              details: [{ path: 'signed.statement', message: 'inquiry_id is already taken' }],
            })
          : null)
      );
    },
  };
}
