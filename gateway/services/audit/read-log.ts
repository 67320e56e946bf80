import { and, asc, eq, gte, lt } from 'drizzle-orm';
import type { AuditEntriesQuery, ConsistencyProofQuery, InclusionProofQuery, SignedCheckpointAnswer } from '../../../proto/api/audit';
import { encodeProof, type CheckpointAnswer, type ConsistencyProofAnswer, type EntriesAnswer, type InclusionProofAnswer } from '../../../proto/audit-log';
import { proveConsistency, proveInclusion } from '../../../proto/merkle';
import { auditLogEntries } from '../../db/schema';
import { ServiceError } from '../../errors';
import type { Action, Resource } from '../../policy/authorize';
import type { RequestContext } from '../context';
import { auditDenial } from './audit-denial';
import { createCheckpoint, latestCheckpoint, type CheckpointSigning } from './checkpoints';
import { currentTreeSize, hashReader } from './log-store';

/** Reading the audit log over HTTP: checkpoints, entries and proofs (routes/audit). */

export const MAX_ENTRIES_PER_PAGE = 1000;

/** Authorizes or logs the refusal (who tried what) and refuses. */
async function require(ctx: RequestContext, action: Action, resource: Resource): Promise<void> {
  const verdict = ctx.policy.authorize(ctx.principal, action, resource);
  if (verdict.allowed) return;
  const department = resource.kind === 'audit_log' && resource.department ? resource.department : undefined;
  await ctx.db.transaction((tx) => auditDenial(tx, ctx, { attempted: action, verdict, ...(department ? { department } : {}) }));
  throw new ServiceError('permission_denied', verdict.reason);
}

const proofsResource: Resource = { kind: 'audit_log', department: null };

export async function readLatestCheckpoint({ ctx }: { ctx: RequestContext }): Promise<CheckpointAnswer> {
  await require(ctx, 'audit.read_proofs', proofsResource);
  const cp = await latestCheckpoint(ctx.db);
  if (!cp) throw new ServiceError('not_found', 'no checkpoint has been signed yet');
  return { size: cp.size, checkpoint: cp.note };
}

export async function requestCheckpoint({ ctx, signing }: { ctx: RequestContext; signing: CheckpointSigning | undefined }): Promise<SignedCheckpointAnswer> {
  await require(ctx, 'audit.checkpoint', proofsResource);
  if (!signing) throw new ServiceError('failed_precondition', 'this gateway has no checkpoint signing key configured');
  const cp = await createCheckpoint(ctx.db, signing);
  return { size: cp.size, checkpoint: cp.note, created: cp.created };
}

export async function listAuditEntries({ ctx, input: q }: { ctx: RequestContext; input: AuditEntriesQuery }): Promise<EntriesAnswer> {
  await require(ctx, 'audit.read_entries', { kind: 'audit_log', department: q.department ?? null });
  const size = await currentTreeSize(ctx.db);
  const end = Math.min(q.end ?? size, size);
  const rows = await ctx.db
    .select({ index: auditLogEntries.idx, entry: auditLogEntries.entry })
    .from(auditLogEntries)
    .where(and(gte(auditLogEntries.idx, q.start), lt(auditLogEntries.idx, end), q.department ? eq(auditLogEntries.department, q.department) : undefined))
    .orderBy(asc(auditLogEntries.idx))
    .limit(MAX_ENTRIES_PER_PAGE);
  const last = rows[rows.length - 1];
  return { size, entries: rows, ...(rows.length === MAX_ENTRIES_PER_PAGE && last && last.index + 1 < end ? { next: last.index + 1 } : {}) };
}

export async function readInclusionProof({ ctx, input: q }: { ctx: RequestContext; input: InclusionProofQuery }): Promise<InclusionProofAnswer> {
  await require(ctx, 'audit.read_proofs', proofsResource);
  const size = await currentTreeSize(ctx.db);
  if (q.size > size) throw new ServiceError('invalid_argument', `the log has ${size} entries, not ${q.size}`);
  if (q.index >= q.size) throw new ServiceError('invalid_argument', `entry ${q.index} is not in a tree of ${q.size} entries`);
  return { index: q.index, size: q.size, proof: encodeProof(await proveInclusion(q.index, q.size, hashReader(ctx.db))) };
}

export async function readConsistencyProof({ ctx, input: q }: { ctx: RequestContext; input: ConsistencyProofQuery }): Promise<ConsistencyProofAnswer> {
  await require(ctx, 'audit.read_proofs', proofsResource);
  const size = await currentTreeSize(ctx.db);
  if (q.to > size) throw new ServiceError('invalid_argument', `the log has ${size} entries, not ${q.to}`);
  if (q.from > q.to) throw new ServiceError('invalid_argument', `from (${q.from}) must not exceed to (${q.to})`);
  return { from: q.from, to: q.to, proof: encodeProof(await proveConsistency(q.from, q.to, hashReader(ctx.db))) };
}
