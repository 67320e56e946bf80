import { sql } from 'drizzle-orm';
import type { JWK } from 'jose';
import type { Db } from '../db/client';
import { units, users } from '../db/schema';
import { DEMO_UNITS } from './units';
import { DEMO_USERS } from './users';

/**
 * Writes the demo units and users; run at every development start. Idempotent: existing rows
 * are brought up to date, so a regenerated unit key replaces the old public key.
 * `unitKeys` are PUBLIC keys only: the private halves stay in the units' own key files.
 */
export async function seedDemo(db: Db, unitKeys: Record<string, JWK>): Promise<{ units: number; users: number }> {
  for (const [id, key] of Object.entries(unitKeys)) {
    if ('d' in key) throw new Error(`seedDemo got a private key for unit ${id}: the gateway must only ever see public keys`);
  }
  await db.transaction(async (tx) => {
    // Parents first: DEMO_UNITS lists each league before its banners.
    for (const unit of DEMO_UNITS) {
      const row = { ...unit, encryptionKey: unitKeys[unit.id] ?? null };
      await tx.insert(units).values(row).onConflictDoUpdate({
        target: units.id,
        set: { name: row.name, nameZh: row.nameZh, level: row.level, parentId: row.parentId, encryptionKey: row.encryptionKey },
      });
    }
    for (const user of DEMO_USERS) {
      await tx.insert(users).values(user).onConflictDoUpdate({
        target: users.username,
        set: { displayName: user.displayName, unitId: user.unitId, roles: sql`excluded.roles`, department: sql`excluded.department` },
      });
    }
  });
  return { units: DEMO_UNITS.length, users: DEMO_USERS.length };
}
