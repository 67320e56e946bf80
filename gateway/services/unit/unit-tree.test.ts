import { inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { units } from '../../db/schema';
import { openTestDatabase } from '../../db/testing';
import { isUnitWithin, subtreeUnitIds, unitPath } from './unit-tree';

let database: Database;
beforeAll(async () => {
  database = await openTestDatabase();
  await database.db.insert(units).values([
    { id: '150000', name: 'Inner Mongolia', nameZh: '内蒙古自治区', level: 'region', parentId: null },
    { id: '150600', name: 'Ordos City', nameZh: '鄂尔多斯市', level: 'league', parentId: '150000' },
    { id: '150627', name: 'Ejin Horo Banner', nameZh: '伊金霍洛旗', level: 'banner', parentId: '150600' },
    { id: '150621', name: 'Dalad Banner', nameZh: '达拉特旗', level: 'banner', parentId: '150600' },
    { id: '152900', name: 'Alxa League', nameZh: '阿拉善盟', level: 'league', parentId: '150000' },
    // A data error: two units that are each other's parent. Queries must still end.
    { id: '159901', name: 'Loop A', nameZh: '环甲', level: 'banner', parentId: '159902' },
    { id: '159902', name: 'Loop B', nameZh: '环乙', level: 'banner', parentId: '159901' },
  ]);
});
afterAll(() => database?.close());

describe('unit tree', () => {
  it('walks up from a banner to the region', async () => {
    expect(await unitPath(database.db, '150627')).toEqual(['150627', '150600', '150000']);
    expect(await unitPath(database.db, '150000')).toEqual(['150000']);
    expect(await unitPath(database.db, '999999')).toEqual([]);
  });

  it('tells whether a unit lies within another’s subtree', async () => {
    expect(await isUnitWithin(database.db, '150627', '150600')).toBe(true);
    expect(await isUnitWithin(database.db, '150627', '150000')).toBe(true);
    expect(await isUnitWithin(database.db, '150627', '150627')).toBe(true);
    expect(await isUnitWithin(database.db, '150600', '150627')).toBe(false);
    expect(await isUnitWithin(database.db, '150627', '152900')).toBe(false);
  });

  it('selects a subtree inside another query', async () => {
    const ids = async (root: string) =>
      (await database.db.select({ id: units.id }).from(units).where(sql`${units.id} in ${subtreeUnitIds(root)}`).orderBy(units.id)).map(
        (r) => r.id,
      );
    expect(await ids('150600')).toEqual(['150600', '150621', '150627']);
    expect(await ids('152900')).toEqual(['152900']);
    expect((await ids('150000')).length).toBe(5);
  });

  it('ends on a parent cycle', async () => {
    expect((await unitPath(database.db, '159901')).length).toBeLessThanOrEqual(9);
    const loop = await database.db.select().from(units).where(inArray(units.id, ['159901']));
    expect(loop).toHaveLength(1);
    expect(await isUnitWithin(database.db, '159901', '150000')).toBe(false);
  });
});
