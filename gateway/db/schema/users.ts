import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { ROLES, type Role } from '../../../proto/directory';
import { units } from './units';

export { ROLES, type Role };

/** The gateway's directory: a user's unit and roles come from here, never from token claims. */
export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  /** The token subject (`sub`) that identifies this user. */
  username: text('username').notNull().unique(),
  displayName: text('display_name').notNull(),
  unitId: text('unit_id').notNull().references(() => units.id),
  roles: text('roles').array().$type<Role[]>().notNull(),
  /** For a department_operator: the department whose audit entries they may read. */
  department: text('department'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
