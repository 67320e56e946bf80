import { index, integer, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { inquiries } from './inquiries';

export const PART_STATUSES = ['pending', 'running', 'succeeded', 'failed'] as const;
export type PartStatus = (typeof PART_STATUSES)[number];

/**
 * One department's share of an approved inquiry. Fan-out workers claim due parts with
 * `FOR UPDATE SKIP LOCKED` and hold a lease; an expired lease means the worker died and
 * another may take the part over.
 */
export const inquiryParts = pgTable(
  'inquiry_parts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    inquiryId: uuid('inquiry_id').notNull().references(() => inquiries.id),
    department: text('department').notNull(),
    categories: text('categories').array().notNull(),
    status: text('status', { enum: PART_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    /** Past this moment no further attempt is made; the part fails. */
    deadlineAt: timestamp('deadline_at', { withTimezone: true }).notNull(),
    leaseOwner: text('lease_owner'),
    leaseExpiresAt: timestamp('lease_expires_at', { withTimezone: true }),
    /** The `jti` of the warrant of the latest attempt. */
    warrantId: text('warrant_id'),
    failureReason: text('failure_reason'),
    /**
     * The W3C trace context of the request that made the part pending (the last approval): the
     * worker's span continues that trace. Ids only; null when that request was not traced.
     */
    traceParent: text('trace_parent'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [
    unique('inquiry_parts_inquiry_department_uq').on(t.inquiryId, t.department),
    index('inquiry_parts_due_idx').on(t.status, t.nextAttemptAt),
  ],
);
