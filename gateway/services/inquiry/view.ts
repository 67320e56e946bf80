import { asc, eq, inArray } from 'drizzle-orm';
import type { InquiryView } from '../../../proto/api/inquiries';
import type { DbOrTx } from '../../db/client';
import { inquiries, inquiryDecisions, inquiryParts, users } from '../../db/schema';
import { approvalProgress } from './approval-progress';
import { deriveInquiryStatus } from './derive-status';
import { effectiveState } from './expire';

/** An inquiry as the API shows it: the contract's shape (proto/api/inquiries.ts). */
export type { InquiryView };

export type InquiryRow = typeof inquiries.$inferSelect;

/** Builds the views of the given rows with four queries, whatever their number. */
export async function loadInquiryViews(db: DbOrTx, rows: readonly InquiryRow[], now: Date): Promise<InquiryView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const creatorIds = [...new Set(rows.map((r) => r.createdBy))];
  // One after another: inside a transaction they share one connection, which runs one query at a time anyway.
  const creators = await db
    .select({ id: users.id, username: users.username, displayName: users.displayName })
    .from(users)
    .where(inArray(users.id, creatorIds));
  const decisions = await db
    .select({
      inquiryId: inquiryDecisions.inquiryId,
      username: users.username,
      decision: inquiryDecisions.decision,
      chainStep: inquiryDecisions.chainStep,
      comment: inquiryDecisions.comment,
      decidedAt: inquiryDecisions.decidedAt,
      signature: inquiryDecisions.signature,
      certificate: inquiryDecisions.certificate,
    })
    .from(inquiryDecisions)
    .innerJoin(users, eq(users.id, inquiryDecisions.userId))
    .where(inArray(inquiryDecisions.inquiryId, ids))
    .orderBy(asc(inquiryDecisions.decidedAt), asc(inquiryDecisions.id));
  const parts = await db
    .select()
    .from(inquiryParts)
    .where(inArray(inquiryParts.inquiryId, ids))
    .orderBy(asc(inquiryParts.department));
  const children = await db
    .select({ id: inquiries.id, parentId: inquiries.parentId })
    .from(inquiries)
    .where(inArray(inquiries.parentId, ids))
    .orderBy(asc(inquiries.createdAt), asc(inquiries.id));
  const creatorById = new Map(creators.map((c) => [c.id, c]));
  return rows.map((row) => {
    const ownParts = parts.filter((p) => p.inquiryId === row.id);
    const ownDecisions = decisions.filter((d) => d.inquiryId === row.id);
    const state = effectiveState(row, now);
    return {
      id: row.id,
      unitId: row.unitId,
      submittedFromUnitId: row.submittedFromUnitId,
      parentId: row.parentId,
      followUps: children.filter((c) => c.parentId === row.id).map((c) => c.id),
      createdBy: creatorById.get(row.createdBy) ?? { id: row.createdBy, username: '(unknown)', displayName: '(unknown)' },
      caseReference: row.caseReference,
      legalBasis: row.legalBasis,
      purpose: row.purpose,
      subjects: row.subjects,
      categories: row.categories,
      state,
      status: deriveInquiryStatus(state, ownParts),
      sensitivity: row.sensitivity,
      approvals: approvalProgress(
        row.sensitivity,
        row.approvalChain,
        ownDecisions.filter((d) => d.decision === 'approve').map((d) => ({ chainStep: d.chainStep, approver: d.username })),
      ),
      expiresAt: row.expiresAt?.toISOString() ?? null,
      decisions: ownDecisions
        .map((d) => ({
          username: d.username,
          decision: d.decision,
          comment: d.comment,
          decidedAt: d.decidedAt.toISOString(),
          signed: d.signature && d.certificate ? { decision: d.signature, certificate: d.certificate } : null,
        })),
      signed: row.statement ? { statement: row.statement.statement, certificate: row.statement.certificate, caseSalt: row.statement.caseSalt } : null,
      parts: ownParts.map((p) => ({
        department: p.department,
        categories: p.categories,
        status: p.status,
        attempts: p.attempts,
        failureReason: p.failureReason,
        completedAt: p.completedAt?.toISOString() ?? null,
      })),
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  });
}
