import { sql } from 'drizzle-orm';
import { bigint, jsonb, pgView, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/**
 * Audit trail as rows, for queries and tests: a read-only view over the Merkle log
 * (audit_log_entries), projecting the fields of each canonical-JSON entry. `id` is the entry's
 * index in the tree. It replaces the former audit_events table, so nothing can be written here.
 */
export const auditEvents = pgView('audit_events', {
  id: bigint('id', { mode: 'number' }).notNull(),
  occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
  action: text('action').notNull(),
  actorUserId: uuid('actor_user_id'),
  actorUnitId: text('actor_unit_id'),
  inquiryId: uuid('inquiry_id'),
  requestId: text('request_id'),
  details: jsonb('details').$type<Record<string, unknown>>().notNull(),
}).as(
  sql`SELECT idx AS id, (entry::jsonb ->> 'at')::timestamptz AS occurred_at, entry::jsonb ->> 'action' AS action, (entry::jsonb -> 'actor' ->> 'userId')::uuid AS actor_user_id, entry::jsonb -> 'actor' ->> 'unitId' AS actor_unit_id, (entry::jsonb ->> 'inquiryId')::uuid AS inquiry_id, entry::jsonb ->> 'requestId' AS request_id, entry::jsonb -> 'details' AS details FROM audit_log_entries`,
);
