import { bigint, customType, index, integer, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { inquiries } from './inquiries';
import { inquiryParts } from './inquiry-parts';

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

/** A department's answer to one part: ciphertext only. The gateway cannot read it. */
export const results = pgTable(
  'results',
  {
    partId: uuid('part_id').primaryKey().references(() => inquiryParts.id),
    inquiryId: uuid('inquiry_id').notNull().references(() => inquiries.id),
    department: text('department').notNull(),
    warrantId: text('warrant_id').notNull(),
    format: text('format').notNull(),
    records: integer('records').notNull(),
    bytes: bigint('bytes', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    chunks: integer('chunks').notNull(),
    /** The department's signed receipt (compact JWS, proto/receipt.ts), as received; null from a department without one. */
    receipt: text('receipt'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('results_inquiry_idx').on(t.inquiryId)],
);

/** Ciphertext in arrival order, so no result is ever held whole in memory. */
export const resultChunks = pgTable(
  'result_chunks',
  {
    partId: uuid('part_id').notNull().references(() => inquiryParts.id),
    /** Attempt that wrote the chunk: a retried part never mixes chunks of two attempts. */
    warrantId: text('warrant_id').notNull(),
    seq: integer('seq').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.partId, t.warrantId, t.seq] })],
);
