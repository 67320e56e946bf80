import { index, integer, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { inquiries } from './inquiries';
import { inquiryParts } from './inquiry-parts';

/**
 * Every warrant the gateway issued, as it was sent: the compact JWS, kept with its part. Written in
 * the transaction of its `warrant.issued` audit entry (gateway/warrants/issue-warrant.ts), so a
 * stored warrant is a logged one and the other way round. It is evidence: an auditor, the
 * requesting unit or the department itself can obtain the exact bytes a department received
 * (GET /v1/inquiries/:id/warrants) and check them against the entry's digest. The JWS carries the
 * subjects' ids: it is served only to those the policy allows, and never logged.
 */
export const warrants = pgTable(
  'warrants',
  {
    /** The warrant's `jti`. */
    warrantId: text('warrant_id').primaryKey(),
    partId: uuid('part_id').notNull().references(() => inquiryParts.id),
    inquiryId: uuid('inquiry_id').notNull().references(() => inquiries.id),
    department: text('department').notNull(),
    /** The part's attempt it was issued for (each attempt gets a warrant of its own). */
    attempt: integer('attempt').notNull(),
    /** The compact JWS, exactly as sent. */
    jws: text('jws').notNull(),
    /** Lowercase hex SHA-256 of `jws`, as in the audit entry. */
    sha256: text('sha256').notNull(),
    issuedAt: timestamp('issued_at', { withTimezone: true }).notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('warrants_inquiry_idx').on(t.inquiryId), unique('warrants_part_attempt_uq').on(t.partId, t.attempt)],
);
