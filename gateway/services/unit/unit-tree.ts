import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';

/**
 * The unit tree: region → leagues/cities → banners/counties, ids are GB/T 2260 codes linked by
 * `units.parent_id`. The depth bound makes a parent cycle (a data error) end instead of loop.
 */
const MAX_DEPTH = 8;

/** The unit and its ancestors, nearest first: `150627` → [`150627`, `150600`, `150000`]. Empty if unknown. */
export async function unitPath(db: DbOrTx, unitId: string): Promise<string[]> {
  const rows = await db.execute(sql`
    with recursive up(id, parent_id, depth) as (
      select id, parent_id, 0 from units where id = ${unitId}
      union all
      select u.id, u.parent_id, up.depth + 1 from units u join up on u.id = up.parent_id where up.depth < ${MAX_DEPTH}
    )
    select id from up order by depth`);
  return rowsOf<{ id: string }>(rows).map((r) => r.id);
}

/** The unit and its ancestors with their levels, nearest first, as policy decisions need them. */
export async function unitAncestry(db: DbOrTx, unitId: string): Promise<{ id: string; level: 'region' | 'league' | 'banner' }[]> {
  const rows = await db.execute(sql`
    with recursive up(id, level, parent_id, depth) as (
      select id, level, parent_id, 0 from units where id = ${unitId}
      union all
      select u.id, u.level, u.parent_id, up.depth + 1 from units u join up on u.id = up.parent_id where up.depth < ${MAX_DEPTH}
    )
    select id, level from up order by depth`);
  return rowsOf<{ id: string; level: 'region' | 'league' | 'banner' }>(rows);
}

/** Every unit with its parent: the whole tree is small (about 120 units). */
export async function allUnits(db: DbOrTx): Promise<{ id: string; level: 'region' | 'league' | 'banner'; parentId: string | null }[]> {
  const rows = await db.execute(sql`select id, level, parent_id as "parentId" from units`);
  return rowsOf(rows);
}

/** Whether `unitId` is `ancestorId` or lies below it. */
export async function isUnitWithin(db: DbOrTx, unitId: string, ancestorId: string): Promise<boolean> {
  return (await unitPath(db, unitId)).includes(ancestorId);
}

/**
 * A parenthesised subquery of the ids of `rootUnitId` and every unit below it, for use inside
 * another query (`unit_id in <this>`), so visibility is decided by the database, not by
 * filtering rows after the fact.
 */
export function subtreeUnitIds(rootUnitId: string): SQL {
  return sql`(
    with recursive down(id, depth) as (
      select id, 0 from units where id = ${rootUnitId}
      union all
      select u.id, down.depth + 1 from units u join down on u.parent_id = down.id where down.depth < ${MAX_DEPTH}
    )
    select id from down)`;
}

/** node-postgres returns `{rows}`, PGlite returns `{rows}` too, but typed differently. */
function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}
