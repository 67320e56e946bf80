import { index, integer, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { inquiries } from './inquiries';
import { users } from './users';

/** One approval or rejection by one approver. Approval chains are sequences of these. */
export const inquiryDecisions = pgTable(
  'inquiry_decisions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    inquiryId: uuid('inquiry_id').notNull().references(() => inquiries.id),
    userId: uuid('user_id').notNull().references(() => users.id),
    decision: text('decision', { enum: ['approve', 'reject'] }).notNull(),
    comment: text('comment').notNull(),
    decidedAt: timestamp('decided_at', { withTimezone: true }).notNull().defaultNow(),
    /** Which step of the inquiry's approval chain an approval fills (0-based); null for rejections. */
    chainStep: integer('chain_step'),
    /** The approver's signed decision (qiao-decision+jwt) and its signing-key certificate; null when unsigned. */
    signature: text('signature'),
    certificate: text('certificate'),
    /** The signing key's pseudonymous id. */
    signerKid: text('signer_kid'),
  },
  (t) => [
    index('inquiry_decisions_inquiry_idx').on(t.inquiryId),
    // One decision per person per inquiry, whatever races the application's own checks lose.
    unique('inquiry_decisions_inquiry_user_uq').on(t.inquiryId, t.userId),
  ],
);
