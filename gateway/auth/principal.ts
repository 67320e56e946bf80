import { eq } from 'drizzle-orm';
import type { DbOrTx } from '../db/client';
import { units, users, type Role } from '../db/schema';
import type { UnitLevel } from '../../proto/directory';
import { unitAncestry } from '../services/unit/unit-tree';

/**
 * The authenticated caller. Unit and roles come from the gateway's directory (the users and
 * units tables), never from token claims: an issuer can vouch for who someone is, not for what
 * they may do here.
 */
export interface Principal {
  userId: string;
  username: string;
  displayName: string;
  unitId: string;
  roles: readonly Role[];
  unit: { id: string; name: string; nameZh: string; level: 'region' | 'league' | 'banner' };
  /**
   * The unit and the units above it, nearest first: what policies see as the user's place in the
   * tree (policy/authorize.ts's UnitRef, spelled out because that module imports this one).
   */
  unitPath: readonly { id: string; level: UnitLevel }[];
  /** A department operator's department, whose audit entries they may read. */
  department: string | null;
}

/** The user `username` of the directory, or null; `ancestry` walks the unit tree (default: asks the database). */
export async function loadPrincipal(
  db: DbOrTx,
  username: string,
  ancestry: (unitId: string) => Promise<Principal['unitPath']> = (unitId) => unitAncestry(db, unitId),
): Promise<Principal | null> {
  const [row] = await db
    .select({ user: users, unit: units })
    .from(users)
    .innerJoin(units, eq(units.id, users.unitId))
    .where(eq(users.username, username))
    .limit(1);
  if (!row) return null;
  return {
    userId: row.user.id,
    username: row.user.username,
    displayName: row.user.displayName,
    unitId: row.user.unitId,
    roles: row.user.roles,
    unit: { id: row.unit.id, name: row.unit.name, nameZh: row.unit.nameZh, level: row.unit.level },
    unitPath: await ancestry(row.user.unitId),
    department: row.user.department,
  };
}
