import { index, integer, jsonb, pgTable, text, timestamp, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Role } from '../../../proto/directory';
import type { Disclosure } from '../../../proto/inquiry-statement';
import type { Subject } from '../../../proto/subjects';
import { units } from './units';
import { users } from './users';

/** Decision state of an inquiry. Progress after approval is derived from its parts. */
export const INQUIRY_STATES = ['pending_approval', 'approved', 'rejected', 'withdrawn', 'expired'] as const;
export type InquiryState = (typeof INQUIRY_STATES)[number];

/** The investigator's signed statement as submitted: what every warrant's evidence is made from. */
export interface StoredStatement {
  statement: string;
  certificate: string;
  /** The signer's key id (pseudonymous). */
  kid: string;
  caseSalt: string;
  disclosures: Disclosure[];
}

/** One link of an approval chain, as fixed at submission (policies/approvals.json). */
export interface ApprovalStepRecord {
  role: Role;
  /** The unit the approvers of this step must belong to. */
  unitId: string;
  count: number;
}

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
    /** Entrusted mode: the unit of the investigator who ran the inquiry on behalf of `unitId`; null otherwise. */
    submittedFromUnitId: text('submitted_from_unit_id').references(() => units.id),
    /** A follow-up inquiry (二次查询): the inquiry whose answer named its subjects; same unit, case reference and legal basis. */
    parentId: uuid('parent_id').references((): AnyPgColumn => inquiries.id),
    /** The highest sensitivity of its categories, at submission. */
    sensitivity: text('sensitivity').notNull().default('standard'),
    /** The approvals it needs, fixed at submission so a later policy change does not move the goalposts. */
    approvalChain: jsonb('approval_chain').$type<ApprovalStepRecord[]>().notNull().default([]),
    /** The signed statement (docs/formats.md); null for an inquiry submitted unsigned (QIAO_REQUIRE_SIGNATURES=false). */
    statement: jsonb('statement').$type<StoredStatement>(),
    /** A pending inquiry past this moment is expired. */
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    /**
     * Moves on with every decision written on the inquiry (services/inquiry/decide.ts): a decision
     * is made from a read and written only if no other was written since, checked by this number.
     */
    version: integer('version').notNull().default(0),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('inquiries_unit_created_idx').on(t.unitId, t.createdAt),
    index('inquiries_creator_created_idx').on(t.createdBy, t.createdAt),
    index('inquiries_parent_idx').on(t.parentId),
  ],
);
