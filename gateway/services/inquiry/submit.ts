import { unknownCategories } from '../../catalogue';
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { inquiries, units, type ApprovalStepRecord } from '../../db/schema';
import { statementDigest } from '../../../proto/inquiry-statement';
import { RevokedSigner, verifySubmission } from './signatures';
import { auditDenial } from '../audit/audit-denial';
import { ServiceError } from '../../errors';
import { requiredApprovals, type ChainStep } from '../../policy/approval-policy';
import type { UnitRef } from '../../policy/authorize';
import { auditAppendOf } from '../audit/append-audit';
import type { RequestContext } from '../context';
import { fairUseCheck, type FairUseUsage } from './fair-use';
import { insertWhere } from '../../db/insert-where';
import { checkFollowUp } from './follow-up';
import type { InquiryView, SubmitInquiry } from '../../../proto/api/inquiries';
import { newInquiryView, type InquiryRow } from './view';

/**
 * An investigator asks for facts about subjects, for their own unit or — entrusted mode — on
 * behalf of another unit; the inquiry waits for the approvals its categories need.
 */
export async function submitInquiry({ ctx, input: body }: { ctx: RequestContext; input: SubmitInquiry }): Promise<InquiryView> {
  const unitId = body.onBehalfOf ?? ctx.principal.unitId;
  const unitPath = unitId === ctx.principal.unitId ? ctx.principal.unitPath : await ctx.directory.ancestry(unitId);
  if (unitPath.length === 0) {
    throw new ServiceError('invalid_argument', `onBehalfOf: no unit ${unitId} in the directory`, {
      details: [{ path: 'onBehalfOf', message: `no unit ${unitId} in the directory` }],
    });
  }
  const decision = ctx.policy.authorize(ctx.principal, 'inquiry.submit', { kind: 'unit', unitPath });
  if (!decision.allowed) throw new ServiceError('permission_denied', decision.reason);

  const unknown = unknownCategories(ctx.catalogue, body.categories);
  if (unknown.length) {
    const known = Object.keys(ctx.catalogue.categories).sort().join(', ');
    const details = unknown.map(({ index, name }) => ({
      path: `categories[${index}]`,
      message: `unknown category ${JSON.stringify(name)}; known categories: ${known}`,
    }));
    throw new ServiceError('invalid_argument', details.map((d) => `${d.path}: ${d.message}`).join('; '), { details });
  }
  const [unitRow] = await ctx.db.select({ id: units.id, encryptionKey: units.encryptionKey }).from(units).where(eq(units.id, unitId));
  const signed = await verifySubmission(ctx, body, { id: unitId, encryptionKey: unitRow?.encryptionKey ?? null }).catch(async (error: unknown) => {
    // A revoked key is an attempt the log must show, though nothing else is written.
    if (error instanceof RevokedSigner) await ctx.db.transaction((tx) => auditDenial(tx, ctx, { attempted: 'inquiry.submit', verdict: { reason: error.message, policyIds: [] } }));
    throw error;
  });
  const parentId = await checkFollowUp(ctx, body, unitId);
  const { sensitivity, chain } = requiredApprovals(ctx.approvals, ctx.catalogue, body.categories);
  const approvalChain = chain.map((step) => resolveStep(step, unitPath));
  const now = ctx.clock();
  const entrusted = unitId !== ctx.principal.unitId;

  // A signed inquiry is stored under the id its statement names; an unsigned one gets one here.
  const id = signed ? signed.claims.inquiry_id : randomUUID();
  const row: InquiryRow = {
    id,
    statement: signed ? signed.stored : null,
    state: 'pending_approval',
    unitId,
    submittedFromUnitId: entrusted ? ctx.principal.unitId : null,
    parentId,
    createdBy: ctx.principal.userId,
    caseReference: body.caseReference,
    legalBasis: body.legalBasis,
    purpose: body.purpose,
    subjects: body.subjects,
    categories: body.categories,
    sensitivity,
    approvalChain,
    expiresAt: new Date(now.getTime() + ctx.approvals.pendingExpiresAfterMs),
    createdAt: now,
    updatedAt: now,
    version: 0,
  };

  const fairUse = fairUseCheck(ctx.approvals, { userId: ctx.principal.userId, unitId }, body.subjects.length, now, signed ? id : undefined);
  const append = auditAppendOf([{
    action: 'inquiry.submitted',
    actor: { userId: ctx.principal.userId, unitId: ctx.principal.unitId },
    inquiryId: id,
    requestId: ctx.requestId,
    // Counts, not subject ids: the audit log is read well beyond the investigating unit. The
    // writer adds keyed commitments to the case reference and the subjects.
    details: {
      categories: body.categories,
      subjects: body.subjects.length,
      sensitivity,
      approvalChain,
      policyIds: decision.policyIds,
      ...(entrusted ? { onBehalfOf: unitId } : {}),
      ...(signed ? { signature: { kid: signed.stored.kid, sha256: statementDigest(signed.stored.statement) } } : {}),
      ...(parentId ? { parentId } : {}),
    },
    committed: { caseReference: body.caseReference, subjectIds: body.subjects.map((s) => s.id) },
  }], ctx.audit);
  // ONE statement, committed on its own: the fair-use locks and the day's usage counted after
  // them, the inquiry inserted only when the usage allows it, and its `inquiry.submitted` entry
  // only when it was. The locks and the audit log's are held inside the database only, from this
  // statement to its commit, never across a round trip to the gateway.
  const [answered] = await append.execute<FairUseUsage & { first: string | null }>(
    ctx.db,
    sql`
      WITH usage AS MATERIALIZED (${fairUse.usage}),
      submitted AS (${insertWhere(inquiries, [row], sql`SELECT 1 FROM usage WHERE ${fairUse.allows}`)} RETURNING 1)
      SELECT usage.*, CASE WHEN (SELECT count(*) FROM submitted) > 0 THEN ${append.call} END AS first FROM usage`,
  );
  if (answered?.first == null) {
    throw fairUse.refusal(answered!) ?? new Error('submit: the fair-use check refused the inquiry but its usage is within every limit');
  }
  const { userId, username, displayName } = ctx.principal;
  return newInquiryView(row, { id: userId, username, displayName }, now);
}

/** A chain step's level, made concrete for the inquiry's unit: its league, or the region. */
export function resolveStep(step: ChainStep, unitPath: readonly UnitRef[]): ApprovalStepRecord {
  const region = unitPath[unitPath.length - 1]!;
  // The region's own inquiries have no league above them: their league step is the region's.
  const at = step.at === 'league' ? (unitPath.find((u) => u.level === 'league') ?? region) : region;
  return { role: step.role, unitId: at.id, count: step.count };
}
