import { trace } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { CatalogueError, departmentsFor } from '../../catalogue';
import type { Tx } from '../../db/client';
import { inquiries, inquiryDecisions, inquiryParts, units } from '../../db/schema';
import { ServiceError } from '../../errors';
import { describeError } from '../../logger';
import { auditAppendInTx, type AuditEntry } from '../audit/append-audit';
import { auditDenial } from '../audit/audit-denial';
import type { RequestContext } from '../context';
import { approvalProgress, type ApprovalProgress } from './approval-progress';
import { isOverdue, persistExpiry } from './expire';
import { findInquiry, inquiryNotFound } from './find-visible-inquiry';
import type { DecideInquiry, InquiryView } from '../../../proto/api/inquiries';
import { resolveStep } from './submit';
import { requiredApprovals } from '../../policy/approval-policy';
import { readViewAggregates, toView, type InquiryRow } from './view';
import { RevokedSigner, verifyDecisionSignature } from './signatures';
import { statementDigest } from '../../../proto/inquiry-statement';
import type { SignerRole } from '../../../proto/signer-certificate';
import { activeTraceparent } from '../../../proto/node/tracing';

type Outcome =
  | { kind: 'decided'; view: InquiryView; final: boolean }
  | { kind: 'denied'; reason: string }
  | { kind: 'expired'; at: string }
  | { kind: 'not_found' };

/**
 * Approves or rejects a pending inquiry. The inquiry row is locked first (SELECT … FOR UPDATE),
 * so concurrent decisions on one inquiry queue up and each sees the approvals committed before
 * it: no approval is counted twice or lost. The decision, the state change, the parts (on the
 * approval that completes the chain) and the audit entry are one statement, committed in one
 * transaction with the reads before it; a refused attempt commits only its audit entry. The view
 * answered is made from the read after the lock and what the statement wrote, not read again. The
 * fan-out worker is woken only after the final approval is durable.
 */
export async function decideInquiry(
  ctx: RequestContext,
  decision: 'approve' | 'reject',
  id: string,
  body: DecideInquiry,
): Promise<InquiryView> {
  const action = decision === 'approve' ? 'inquiry.approve' : 'inquiry.reject';
  const actor = { userId: ctx.principal.userId, unitId: ctx.principal.unitId };
  const now = ctx.clock();

  const outcome = await ctx.db.transaction(async (tx): Promise<Outcome> => {
    const found = await findInquiry(tx, id, { forUpdate: true, now, ancestry: ctx.directory.ancestry });
    if (!found) return { kind: 'not_found' };
    const { row, resource } = found;
    trace.getActiveSpan()?.setAttribute('qiao.inquiry_id', row.id);
    const canRead = ctx.policy.authorize(ctx.principal, 'inquiry.read', resource);
    if (!canRead.allowed) {
      await auditDenial(tx, ctx, { attempted: action, verdict: canRead, inquiryId: row.id, hidden: true });
      // Someone who may not even read the inquiry learns nothing about it, not even that it exists.
      return { kind: 'not_found' };
    }
    if (isOverdue(row, now)) {
      await persistExpiry(tx, ctx.audit, row, now, ctx.requestId);
      return { kind: 'expired', at: row.expiresAt!.toISOString() };
    }
    if (row.state !== 'pending_approval') {
      throw new ServiceError('failed_precondition', `the inquiry is already ${row.state}`);
    }
    if (row.approvalChain.length === 0) Object.assign(row, await fixLegacyChain(ctx, tx, row));
    // Read once the row is locked, so every decision committed before this one is in it: the
    // approvals counted here, and the answer's view made from it and what this decision writes.
    const aggregates = (await readViewAggregates(tx, row.id))!;
    const decisions = aggregates.decisions;
    const progress = approvalProgress(
      row.sensitivity,
      row.approvalChain,
      decisions.filter((d) => d.decision === 'approve').map((d) => ({ chainStep: d.chainStep, approver: d.userId })),
    );
    const verdict = ctx.policy.authorize(ctx.principal, action, resource, {
      step: progress.next,
      hasDecided: decisions.some((d) => d.userId === ctx.principal.userId),
    });
    if (!verdict.allowed) {
      const reason = verdict.policyIds.length === 0 && decision === 'approve' ? await whoIsNext(tx, progress) : verdict.reason;
      await auditDenial(tx, ctx, { attempted: action, verdict: { reason, policyIds: verdict.policyIds }, inquiryId: row.id });
      return { kind: 'denied', reason };
    }

    const step = decision === 'approve' ? progress.next!.index : null;
    const next = progress.next;
    let signature;
    try {
      signature = await verifyDecisionSignature(ctx, {
        inquiryId: row.id,
        statement: row.statement,
        decision,
        step: step === null || !next ? null : { index: step, role: next.role as SignerRole },
        comment: body.comment,
        signed: body.signed,
      });
    } catch (error) {
      if (!(error instanceof RevokedSigner)) throw error;
      await auditDenial(tx, ctx, { attempted: action, verdict: { reason: error.message, policyIds: [] }, inquiryId: row.id });
      return { kind: 'denied', reason: error.message };
    }
    const decisionId = randomUUID();
    const final = decision === 'approve' && progress.remaining === 1;
    const parts = final ? newParts(ctx, row) : [];
    const departments = parts.map((p) => p.department);
    const state = decision === 'reject' ? 'rejected' : final ? 'approved' : 'pending_approval';
    const about = { actor, inquiryId: row.id, requestId: ctx.requestId };
    const decided = {
      decisionId,
      policyIds: verdict.policyIds,
      ...(signature ? { signature: { kid: signature.kid, sha256: statementDigest(body.signed!.decision) } } : {}),
    };
    const filled = step === null ? null : { step: step + 1, steps: row.approvalChain.length, remaining: progress.remaining - 1 };
    const entry: AuditEntry = !filled
      ? { ...about, action: 'inquiry.rejected', details: decided }
      : final
        ? { ...about, action: 'inquiry.approved', details: { ...decided, ...filled, departments } }
        : { ...about, action: 'inquiry.approval_added', details: { ...decided, ...filled } };
    // The decision, the parts (on the approval that completes the chain), the state change and
    // the audit entry: ONE statement, last in the transaction (the audit log's lock is held from
    // it to the commit).
    const append = auditAppendInTx([entry], ctx.audit);
    const decisionRow = tx.insert(inquiryDecisions).values({
      id: decisionId, inquiryId: row.id, userId: ctx.principal.userId, decision, comment: body.comment, chainStep: step,
      ...(signature ? { signature: body.signed!.decision, certificate: body.signed!.certificate, signerKid: signature.kid } : {}),
    });
    // The decision's time is the database's (its default), as every read of it shows: answered
    // as the view's aggregates spell it.
    const [written] = await append.execute<{ decided_at: string }>(
      tx,
      sql`
      WITH decided AS ${decisionRow.returning({ decidedAt: inquiryDecisions.decidedAt })},
      ${parts.length > 0 ? sql`created AS ${tx.insert(inquiryParts).values(parts)},` : sql``}
      changed AS ${tx.update(inquiries).set({ state, updatedAt: now }).where(eq(inquiries.id, row.id))}
      SELECT ${append.call} AS first, (SELECT to_json(decided_at) FROM decided) AS decided_at`,
    );
    const view = toView({ ...row, state, updatedAt: now }, {
      ...aggregates,
      decisions: [
        ...aggregates.decisions,
        {
          userId: ctx.principal.userId, username: ctx.principal.username, decision, chainStep: step, comment: body.comment, decidedAt: written!.decided_at,
          signature: signature ? body.signed!.decision : null, certificate: signature ? body.signed!.certificate : null,
        },
      ],
      // In code-unit order, as the view's aggregate orders them (COLLATE "C", whatever the database's collation).
      parts: [
        ...aggregates.parts,
        ...parts.map((p) => ({ department: p.department, categories: p.categories, status: 'pending' as const, attempts: 0, failureReason: null, completedAt: null })),
      ].sort((a, b) => (a.department < b.department ? -1 : a.department > b.department ? 1 : 0)),
    }, now);
    return { kind: 'decided', view, final };
  });

  if (outcome.kind === 'not_found') throw inquiryNotFound();
  if (outcome.kind === 'denied') throw new ServiceError('permission_denied', outcome.reason);
  if (outcome.kind === 'expired') throw new ServiceError('failed_precondition', `the inquiry expired at ${outcome.at} without being approved`);
  if (outcome.final) {
    // The approval is committed: a worker that cannot be woken finds the parts on its next poll.
    try {
      ctx.fanout.wake();
    } catch (err) {
      ctx.logger.warn({ requestId: ctx.requestId, failure: describeError(err) }, 'could not wake the fan-out worker');
    }
  }
  return outcome.view;
}

/**
 * An inquiry submitted before approval chains existed has none recorded: it gets the chain the
 * policy gives it now, written on its first decision so it stays fixed from then on.
 */
async function fixLegacyChain(ctx: RequestContext, tx: Tx, row: InquiryRow): Promise<Pick<InquiryRow, 'sensitivity' | 'approvalChain'>> {
  const unitPath = await ctx.directory.ancestry(row.unitId, tx);
  const known = row.categories.filter((c) => Object.hasOwn(ctx.catalogue.categories, c));
  const { sensitivity, chain } = requiredApprovals(ctx.approvals, ctx.catalogue, known);
  const approvalChain = chain.map((step) => resolveStep(step, unitPath));
  await tx.update(inquiries).set({ sensitivity, approvalChain }).where(eq(inquiries.id, row.id));
  return { sensitivity, approvalChain };
}

/** Why an approver whose turn it is not was refused: who the chain waits for. */
async function whoIsNext(tx: Tx, progress: ApprovalProgress): Promise<string> {
  const next = progress.next;
  if (!next) return 'the approval chain is already complete';
  const [unit] = await tx.select({ name: units.name }).from(units).where(eq(units.id, next.unitId));
  const role = next.role === 'regional_approver' ? 'a regional approver' : 'an approver';
  return `the next approval (step ${next.index + 1} of ${progress.steps.length}) must come from ${role} of ${unit?.name ?? 'unit'} (${next.unitId})`;
}

/** One part per department that serves any of the inquiry's categories; created at the last link of the chain only. */
function newParts(ctx: RequestContext, row: InquiryRow): (typeof inquiryParts.$inferInsert)[] {
  let byDepartment: Map<string, string[]>;
  try {
    byDepartment = departmentsFor(ctx.catalogue, row.categories);
  } catch (err) {
    if (!(err instanceof CatalogueError)) throw err;
    throw new ServiceError('failed_precondition', 'the inquiry names a category that is no longer in the catalogue', { cause: err });
  }
  const deadlineAt = new Date(ctx.clock().getTime() + ctx.partDeadlineMs);
  // The worker's span continues the trace of this approving request (gateway/fanout/process.ts).
  const traceParent = activeTraceparent();
  return [...byDepartment].map(([department, categories]) => ({ inquiryId: row.id, department, categories, deadlineAt, traceParent }));
}
