import { trace } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { CatalogueError, departmentsFor } from '../../catalogue';
import { insertWhere } from '../../db/insert-where';
import { inquiries, inquiryDecisions, inquiryParts, units } from '../../db/schema';
import { ServiceError } from '../../errors';
import { describeError } from '../../logger';
import { auditAppendOf, type AuditEntry } from '../audit/append-audit';
import { auditDenial } from '../audit/audit-denial';
import type { RequestContext } from '../context';
import { approvalProgress, type ApprovalProgress } from './approval-progress';
import { isOverdue, persistExpiry } from './expire';
import { findInquiry, inquiryNotFound, inquiryResource, isInquiryId } from './find-visible-inquiry';
import type { DecideInquiry, InquiryView } from '../../../proto/api/inquiries';
import { resolveStep } from './submit';
import { requiredApprovals } from '../../policy/approval-policy';
import { readInquiryWithAggregates, toView, type InquiryRow } from './view';
import { RevokedSigner, verifyDecisionSignature } from './signatures';
import { statementDigest } from '../../../proto/inquiry-statement';
import type { SignerRole } from '../../../proto/signer-certificate';
import { activeTraceparent } from '../../../proto/node/tracing';

type Outcome =
  | { kind: 'decided'; view: InquiryView; final: boolean }
  | { kind: 'denied'; reason: string }
  | { kind: 'expired'; at: string }
  | { kind: 'not_found' }
  /** Another decision, a withdrawal or an expiry was written between this one's read and its write: decide again. */
  | { kind: 'raced' };

/**
 * How many times a decision is made again from a fresh read when something was written on the
 * inquiry between its read and its write. Each round one of the racing writes wins, so this is
 * how many people may decide one inquiry at the very same moment before one is asked to send it again.
 */
export const DECIDE_ATTEMPTS = 16;

/**
 * Approves or rejects a pending inquiry. A decision is made from one read of the inquiry and all
 * it shows (no lock held while the policy decides and the signature is checked) and written as
 * ONE statement committed on its own — the decision, the state change, the parts (on the
 * approval that completes the chain) and the audit entry — guarded by the inquiry's `version`,
 * which every decision moves on, and its state: if another decision, a withdrawal or an expiry
 * was written since the read, nothing is written and the decision is made again from a fresh
 * read, so each sees every approval committed before it and none is counted twice or lost. A
 * refused attempt commits only its audit entry. The view answered is made from the read and
 * what the statement wrote, not read again. The fan-out worker is woken only after the final
 * approval is durable.
 */
export async function decideInquiry(
  ctx: RequestContext,
  decision: 'approve' | 'reject',
  id: string,
  body: DecideInquiry,
): Promise<InquiryView> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await decideOnce(ctx, decision, id, body);
    if (outcome.kind === 'raced') {
      if (attempt < DECIDE_ATTEMPTS) continue;
      throw new ServiceError('conflict', `the inquiry changed ${DECIDE_ATTEMPTS} times while this decision was being made; send it again`);
    }
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
}

async function decideOnce(ctx: RequestContext, decision: 'approve' | 'reject', id: string, body: DecideInquiry): Promise<Outcome> {
  const action = decision === 'approve' ? 'inquiry.approve' : 'inquiry.reject';
  const actor = { userId: ctx.principal.userId, unitId: ctx.principal.unitId };
  const now = ctx.clock();
  if (!isInquiryId(id)) return { kind: 'not_found' };
  const found = await readInquiryWithAggregates(ctx.db, id);
  if (!found) return { kind: 'not_found' };
  const { aggregates } = found;
  let row = found.row;
  const resource = await inquiryResource(row, now, (unitId) => ctx.directory.ancestry(unitId, ctx.db));
  // A refused attempt's entry, committed on its own (nothing else is written).
  const deny = (verdict: { reason: string; policyIds: string[] }, hidden = false) =>
    ctx.db.transaction((tx) => auditDenial(tx, ctx, { attempted: action, verdict, inquiryId: row.id, ...(hidden ? { hidden } : {}) }));
  trace.getActiveSpan()?.setAttribute('qiao.inquiry_id', row.id);
  const canRead = ctx.policy.authorize(ctx.principal, 'inquiry.read', resource);
  if (!canRead.allowed) {
    await deny(canRead, true);
    // Someone who may not even read the inquiry learns nothing about it, not even that it exists.
    return { kind: 'not_found' };
  }
  if (isOverdue(row, now)) return expireNow(ctx, row.id, now);
  if (row.state !== 'pending_approval') {
    throw new ServiceError('failed_precondition', `the inquiry is already ${row.state}`);
  }
  // An inquiry from before approval chains gets the chain the policy gives it now, written with this decision.
  const legacyChain = row.approvalChain.length === 0 ? await chainForLegacy(ctx, row) : null;
  if (legacyChain) row = { ...row, ...legacyChain };
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
    const reason = verdict.policyIds.length === 0 && decision === 'approve' ? await whoIsNext(ctx, progress) : verdict.reason;
    await deny({ reason, policyIds: verdict.policyIds });
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
    await deny({ reason: error.message, policyIds: [] });
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
  const append = auditAppendOf([entry], ctx.audit);
  const decisionRow: typeof inquiryDecisions.$inferInsert = {
    id: decisionId, inquiryId: row.id, userId: ctx.principal.userId, decision, comment: body.comment, chainStep: step,
    signature: signature ? body.signed!.decision : null, certificate: signature ? body.signed!.certificate : null, signerKid: signature ? signature.kid : null,
  };
  // The fenced state change first: the decision and the parts are inserted only with it (a
  // data-modifying WITH runs whether or not the statement reads it), the audit entry appended last (the audit log's lock held for the append and the commit only). The
  // decision's time is the database's (its default), as every read of it shows: answered as the
  // view's aggregates spell it.
  const changed = sql`SELECT 1 FROM changed`;
  const [written] = await append.execute<{ decided_at: string | null }>(
    ctx.db,
    sql`
      WITH changed AS ${ctx.db
        .update(inquiries)
        .set({ state, updatedAt: now, version: sql`${inquiries.version} + 1`, ...(legacyChain ?? {}) })
        .where(and(eq(inquiries.id, row.id), eq(inquiries.state, 'pending_approval'), eq(inquiries.version, row.version)))
        .returning({ id: inquiries.id })},
      decided AS (${insertWhere(inquiryDecisions, [decisionRow], changed)} RETURNING decided_at)
      ${parts.length > 0 ? sql`, created AS (${insertWhere(inquiryParts, parts, changed)})` : sql``}
      SELECT CASE WHEN (SELECT count(*) FROM decided) > 0 THEN ${append.call} END AS first,
        (SELECT to_json(decided_at) FROM decided) AS decided_at`,
  );
  if (!written?.decided_at) return { kind: 'raced' };
  const view = toView({ ...row, state, updatedAt: now, version: row.version + 1 }, {
    ...aggregates,
    decisions: [
      ...aggregates.decisions,
      {
        userId: ctx.principal.userId, username: ctx.principal.username, decision, chainStep: step, comment: body.comment, decidedAt: written.decided_at,
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
}

/**
 * An overdue pending inquiry is expired by the decision that finds it so (or, first, by the
 * sweep every gateway runs): under the row's lock, and only if it is still pending and overdue —
 * otherwise what happened to it meanwhile is read again.
 */
async function expireNow(ctx: RequestContext, id: string, now: Date): Promise<Outcome> {
  return ctx.db.transaction(async (tx): Promise<Outcome> => {
    const locked = await findInquiry(tx, id, { forUpdate: true, now, ancestry: ctx.directory.ancestry });
    if (!locked || locked.row.state !== 'pending_approval' || !isOverdue(locked.row, now)) return { kind: 'raced' };
    await persistExpiry(tx, ctx.audit, locked.row, now, ctx.requestId);
    return { kind: 'expired', at: locked.row.expiresAt!.toISOString() };
  });
}

/**
 * An inquiry submitted before approval chains existed has none recorded: it gets the chain the
 * policy gives it now, written by its first decision so it stays fixed from then on.
 */
async function chainForLegacy(ctx: RequestContext, row: InquiryRow): Promise<Pick<InquiryRow, 'sensitivity' | 'approvalChain'>> {
  const unitPath = await ctx.directory.ancestry(row.unitId, ctx.db);
  const known = row.categories.filter((c) => Object.hasOwn(ctx.catalogue.categories, c));
  const { sensitivity, chain } = requiredApprovals(ctx.approvals, ctx.catalogue, known);
  return { sensitivity, approvalChain: chain.map((step) => resolveStep(step, unitPath)) };
}

/** Why an approver whose turn it is not was refused: who the chain waits for. */
async function whoIsNext(ctx: RequestContext, progress: ApprovalProgress): Promise<string> {
  const next = progress.next;
  if (!next) return 'the approval chain is already complete';
  const [unit] = await ctx.db.select({ name: units.name }).from(units).where(eq(units.id, next.unitId));
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
  const now = ctx.clock();
  const deadlineAt = new Date(now.getTime() + ctx.partDeadlineMs);
  // The worker's span continues the trace of this approving request (gateway/fanout/process.ts).
  const traceParent = activeTraceparent();
  // Due now by the gateway's clock, as the worker's claim reads it (`next_attempt_at <= now`, in
  // milliseconds). The column's default, the database's now(), has microseconds: a claim woken
  // by this commit within the same millisecond found the parts not yet due and left them to the
  // next poll, two seconds later (one sequential inquiry in twenty).
  return [...byDepartment].map(([department, categories]) => ({ inquiryId: row.id, department, categories, nextAttemptAt: now, deadlineAt, traceParent }));
}
