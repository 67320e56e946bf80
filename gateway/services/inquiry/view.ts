import { desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { InquiryView } from '../../../proto/api/inquiries';
import { perDatabase, type Db, type DbOrTx } from '../../db/client';
import { inquiries, type PartStatus } from '../../db/schema';
import { approvalProgress } from './approval-progress';
import { deriveInquiryStatus } from './derive-status';
import { effectiveState } from './expire';

/** An inquiry as the API shows it: the contract's shape (proto/api/inquiries.ts). */
export type { InquiryView };

export type InquiryRow = typeof inquiries.$inferSelect;

/** What an inquiry's view needs besides its own row, as the aggregates of `viewAggregates` give it (timestamps as JSON text). */
export interface ViewAggregates {
  creator: { id: string; username: string; displayName: string } | null;
  decisions: {
    /** Not shown (the view names approvers by username); a decision counts approvals by it. */
    userId: string;
    username: string;
    decision: 'approve' | 'reject';
    /** Null for a rejection. */
    chainStep: number | null;
    comment: string;
    decidedAt: string;
    signature: string | null;
    certificate: string | null;
  }[];
  parts: {
    department: string;
    categories: string[];
    status: PartStatus;
    attempts: number;
    failureReason: string | null;
    completedAt: string | null;
  }[];
  followUps: string[];
}

/**
 * The creator, decisions, parts and follow-ups of the inquiry of the enclosing row, each as one
 * correlated JSON aggregate, so a view is one statement whatever it shows (PGlite and PostgreSQL
 * alike). The outer table is spelled `"inquiries"`: drizzle leaves a one-table select's columns
 * unqualified, and every inner table has an alias so nothing binds to the wrong one.
 */
function viewAggregates() {
  return {
    creator: sql<ViewAggregates['creator']>`(select json_build_object('id', u.id, 'username', u.username, 'displayName', u.display_name) from users u where u.id = "inquiries"."created_by")`,
    decisions: sql<ViewAggregates['decisions']>`coalesce((
      select json_agg(json_build_object('userId', d.user_id, 'username', u.username, 'decision', d.decision, 'chainStep', d.chain_step, 'comment', d.comment,
        'decidedAt', d.decided_at, 'signature', d.signature, 'certificate', d.certificate) order by d.decided_at, d.id)
      from inquiry_decisions d join users u on u.id = d.user_id where d.inquiry_id = "inquiries"."id"), '[]'::json)`,
    parts: sql<ViewAggregates['parts']>`coalesce((
      select json_agg(json_build_object('department', p.department, 'categories', p.categories, 'status', p.status, 'attempts', p.attempts,
        'failureReason', p.failure_reason, 'completedAt', p.completed_at) order by p.department collate "C")
      from inquiry_parts p where p.inquiry_id = "inquiries"."id"), '[]'::json)`,
    followUps: sql<ViewAggregates['followUps']>`coalesce((
      select json_agg(c.id order by c.created_at, c.id) from inquiries c where c.parent_id = "inquiries"."id"), '[]'::json)`,
  };
}

/**
 * The view of an inquiry just inserted, without reading anything: it has no decisions, parts or
 * follow-ups yet, and its creator is the caller who inserted it.
 */
export function newInquiryView(row: InquiryRow, creator: { id: string; username: string; displayName: string }, now: Date): InquiryView {
  return toView(row, { creator, decisions: [], parts: [], followUps: [] }, now);
}

/** Builds the views of the given rows (read in the same transaction, e.g. just updated) with one statement, whatever their number. */
export async function loadInquiryViews(db: DbOrTx, rows: readonly InquiryRow[], now: Date): Promise<InquiryView[]> {
  if (rows.length === 0) return [];
  const loaded = await db
    .select({ id: inquiries.id, ...viewAggregates() })
    .from(inquiries)
    .where(inArray(inquiries.id, rows.map((r) => r.id)));
  const byId = new Map(loaded.map((l) => [l.id, l]));
  return rows.map((row) => toView(row, byId.get(row.id) ?? { creator: null, decisions: [], parts: [], followUps: [] }, now));
}

/**
 * The inquiries that `where` selects, newest first, each with what its view shows: one
 * statement. `view(now)` builds the view; the row is there for authorizing before showing it.
 */
export async function readInquiries(
  db: DbOrTx,
  where: SQL | undefined,
  options: { limit?: number } = {},
): Promise<{ row: InquiryRow; view(now: Date): InquiryView }[]> {
  const query = db
    .select({ row: inquiries, ...viewAggregates() })
    .from(inquiries)
    .where(where)
    .orderBy(desc(inquiries.createdAt), desc(inquiries.id));
  const loaded = options.limit === undefined ? await query : await query.limit(options.limit);
  return loaded.map(({ row, ...aggregates }) => ({ row, view: (now: Date) => toView(row, aggregates, now) }));
}

/** The by-id read of `readInquiry`, prepared once per database. */
const readById = perDatabase((db) =>
  db
    .select({ row: inquiries, ...viewAggregates() })
    .from(inquiries)
    .where(eq(inquiries.id, sql.placeholder('id')))
    .prepare('qiao_inquiry_view_by_id'),
);

/** One inquiry by id with what its view shows, as `readInquiries` reads it: one statement, prepared once. */
export async function readInquiry(db: Db, id: string): Promise<{ row: InquiryRow; view(now: Date): InquiryView } | undefined> {
  const found = await readInquiryWithAggregates(db, id);
  return found && { row: found.row, view: (now: Date) => toView(found.row, found.aggregates, now) };
}

/**
 * One inquiry by id with what its view shows besides its row, as `readInquiry` reads it: a
 * decision decides from them and answers with the view made from them and what it wrote.
 */
export async function readInquiryWithAggregates(db: Db, id: string): Promise<{ row: InquiryRow; aggregates: ViewAggregates } | undefined> {
  const [found] = await readById(db).execute({ id });
  if (!found) return undefined;
  const { row, ...aggregates } = found;
  return { row, aggregates };
}

/** A timestamp from a JSON aggregate (PostgreSQL's text, microseconds and offset) as the API writes it. */
const isoTime = (text: string) => new Date(text).toISOString();

/** The view of a row with its aggregates as of `now` (aggregates read, or made from what was just written). */
export function toView(row: InquiryRow, agg: ViewAggregates, now: Date): InquiryView {
  const state = effectiveState(row, now);
  return {
    id: row.id,
    unitId: row.unitId,
    submittedFromUnitId: row.submittedFromUnitId,
    parentId: row.parentId,
    followUps: agg.followUps,
    createdBy: agg.creator ?? { id: row.createdBy, username: '(unknown)', displayName: '(unknown)' },
    caseReference: row.caseReference,
    legalBasis: row.legalBasis,
    purpose: row.purpose,
    subjects: row.subjects,
    categories: row.categories,
    state,
    status: deriveInquiryStatus(state, agg.parts),
    sensitivity: row.sensitivity,
    approvals: approvalProgress(
      row.sensitivity,
      row.approvalChain,
      agg.decisions.filter((d) => d.decision === 'approve').map((d) => ({ chainStep: d.chainStep, approver: d.username })),
    ),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    decisions: agg.decisions.map((d) => ({
      username: d.username,
      decision: d.decision,
      comment: d.comment,
      decidedAt: isoTime(d.decidedAt),
      signed: d.signature && d.certificate ? { decision: d.signature, certificate: d.certificate } : null,
    })),
    signed: row.statement ? { statement: row.statement.statement, certificate: row.statement.certificate, caseSalt: row.statement.caseSalt } : null,
    parts: agg.parts.map((p) => ({
      department: p.department,
      categories: p.categories,
      status: p.status,
      attempts: p.attempts,
      failureReason: p.failureReason,
      completedAt: p.completedAt === null ? null : isoTime(p.completedAt),
    })),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
