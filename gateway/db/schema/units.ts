import { jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import type { JWK } from 'jose';
import { UNIT_LEVELS } from '../../../proto/directory';

/** A commission unit: the region, a league/city or a banner/county. Id = GB/T 2260 division code. */
export const units = pgTable('units', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  nameZh: text('name_zh').notNull(),
  level: text('level', { enum: UNIT_LEVELS }).notNull(),
  parentId: text('parent_id'),
  /** The unit's public encryption key (P-256 JWK). The private half never reaches the gateway. */
  encryptionKey: jsonb('encryption_key').$type<JWK>(),
  /** The directory authority's certificate of that key (compact JWS, proto/key-certificate.ts); carried in every warrant. */
  encryptionKeyCert: text('encryption_key_cert'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
