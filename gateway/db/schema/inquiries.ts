import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { Subject } from '../../../proto/subjects';
import { units } from './units';
import { users } from './users';

/** Decision state of an inquiry. Progress after approval is derived from its parts. */
export const INQUIRY_STATES = ['pending_approval', 'approved', 'rejected'] as const;
export type InquiryState = (typeof INQUIRY_STATES)[number];

export const inquiries = pgTable(
  'inquiries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    unitId: text('unit_id').notNull().references(() => units.id),
    createdBy: uuid('created_by').notNull().references(() => users.id),
    caseReference: text('case_reference').notNull(),
    legalBasis: text('legal_basis').notNull(),
    purpose: text('purpose').notNull(),
    subjects: jsonb('subjects').$type<Subject[]>().notNull(),
    categories: text('categories').array().notNull(),
    state: text('state', { enum: INQUIRY_STATES }).notNull().default('pending_approval'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('inquiries_unit_created_idx').on(t.unitId, t.createdAt)],
);
