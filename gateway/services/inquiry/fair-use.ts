import { and, eq, gte, or, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { inquiries } from '../../db/schema';
import { ServiceError } from '../../errors';
import type { ApprovalPolicy, Limits } from '../../policy/approval-policy';

/** The start of the policy's day containing `now`, and of the next one. */
export function policyDay(now: Date, utcOffsetMinutes: number): { start: Date; end: Date } {
  const shifted = now.getTime() + utcOffsetMinutes * 60_000;
  const startShifted = shifted - (((shifted % 86_400_000) + 86_400_000) % 86_400_000);
  const start = new Date(startShifted - utcOffsetMinutes * 60_000);
  return { start, end: new Date(start.getTime() + 86_400_000) };
}

/**
 * Refuses a submission that would take the investigator or the unit past a daily limit of the
 * policy. Runs inside the submission's transaction after taking the investigator's and the unit's
 * advisory locks, so two concurrent submissions of one unit are counted one after the other and
 * cannot both slip under.
 * Every submission counts, whatever became of it: withdrawing does not give quota back.
 */
export async function enforceFairUse(
  tx: Tx,
  policy: ApprovalPolicy,
  who: { userId: string; unitId: string },
  subjects: number,
  now: Date,
  /** An inquiry id the submission wants: whether it is taken is read in the same statement as the usage. */
  wantedId?: string,
): Promise<{ taken: boolean }> {
  // Two statements: both locks (the investigator's, then the unit's, in that order for every
  // submission), then both days' usage in one scan of the two indexes (and whether the wanted id
  // is taken: the submission's own check, without a round trip of its own).
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtext(${`qiao.fair-use.user:${who.userId}`})), pg_advisory_xact_lock(hashtext(${`qiao.fair-use.unit:${who.unitId}`}))`,
  );
  const { start, end } = policyDay(now, policy.fairUse.utcOffsetMinutes);
  const byUser = sql`${inquiries.createdBy} = ${who.userId}`;
  const byUnit = sql`${inquiries.unitId} = ${who.unitId}`;
  const subjectCount = sql`jsonb_array_length(${inquiries.subjects})`;
  const [row] = await tx
    .select({
      userInquiries: sql<string>`count(*) filter (where ${byUser})`,
      userSubjects: sql<string>`coalesce(sum(${subjectCount}) filter (where ${byUser}), 0)`,
      unitInquiries: sql<string>`count(*) filter (where ${byUnit})`,
      unitSubjects: sql<string>`coalesce(sum(${subjectCount}) filter (where ${byUnit}), 0)`,
      taken: wantedId ? sql<boolean>`exists (select 1 from ${inquiries} where ${inquiries.id} = ${wantedId})` : sql<boolean>`false`,
    })
    .from(inquiries)
    .where(and(or(eq(inquiries.createdBy, who.userId), eq(inquiries.unitId, who.unitId)), gte(inquiries.createdAt, start)));
  const check = (scope: string, limits: Limits, used: { inquiries: number; subjects: number }) => {
    const over =
      used.inquiries + 1 > limits.inquiriesPerDay
        ? { what: 'inquiriesPerDay', limit: limits.inquiriesPerDay, text: `${limits.inquiriesPerDay} inquiries per day` }
        : used.subjects + subjects > limits.subjectsPerDay
          ? { what: 'subjectsPerDay', limit: limits.subjectsPerDay, text: `${limits.subjectsPerDay} subjects per day (${used.subjects} used today, this inquiry names ${subjects})` }
          : null;
    if (!over) return;
    throw new ServiceError('resource_exhausted', `fair-use limit reached: ${over.text} ${scope}; the limit resets at ${end.toISOString()}`, {
      details: [{ path: `fairUse.${scope === 'per investigator' ? 'perInvestigator' : 'perUnit'}.${over.what}`, message: `limit ${over.limit}, resets at ${end.toISOString()}` }],
      retryAt: end,
    });
  };
  check('per investigator', policy.fairUse.perInvestigator, { inquiries: Number(row!.userInquiries), subjects: Number(row!.userSubjects) });
  check('per unit', policy.fairUse.perUnit, { inquiries: Number(row!.unitInquiries), subjects: Number(row!.unitSubjects) });
  return { taken: row!.taken === true };
}
