import { sql } from 'drizzle-orm';
import type { JWK } from 'jose';
import type { Db } from '../db/client';
import { units, users } from '../db/schema';
import type { UnitPublicKey } from '../keys';
import { DEMO_UNITS } from '../../demo/units';
import { DEMO_USERS } from '../../demo/users';

/**
 * Writes the demo units and users; run at every development start. Idempotent: existing rows
 * are brought up to date, so a regenerated unit key replaces the old public key.
 * `unitKeys` are PUBLIC keys only: the private halves stay in the units' own key files.
 */
export async function seedDemo(db: Db, unitKeys: Record<string, JWK | UnitPublicKey>): Promise<{ units: number; users: number }> {
  const keyOf = (id: string): UnitPublicKey | undefined => {
    const k = unitKeys[id];
    return !k ? undefined : 'key' in k && typeof k.key === 'object' ? (k as UnitPublicKey) : { key: k as JWK, certificate: null };
  };
  for (const id of Object.keys(unitKeys)) {
    if ('d' in keyOf(id)!.key) throw new Error(`seedDemo got a private key for unit ${id}: the gateway must only ever see public keys`);
  }
  await db.transaction(async (tx) => {
    // Parents first: DEMO_UNITS lists each league before its banners.
    for (const unit of DEMO_UNITS) {
      const row = { ...unit, encryptionKey: keyOf(unit.id)?.key ?? null, encryptionKeyCert: keyOf(unit.id)?.certificate ?? null };
      await tx.insert(units).values(row).onConflictDoUpdate({
        target: units.id,
        set: {
          name: row.name, nameZh: row.nameZh, level: row.level, parentId: row.parentId,
          encryptionKey: row.encryptionKey, encryptionKeyCert: row.encryptionKeyCert,
        },
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
