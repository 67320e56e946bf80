import { describe, expect, it } from 'vitest';
import { ROLES } from '../proto/directory';
import { DEMO_UNITS } from './units';
import { DEMO_USERS } from './users';

describe('the demo directory', () => {
  const unit = (id: string) => DEMO_UNITS.find((u) => u.id === id);

  it('places every user in a unit of the tree, each username once', () => {
    for (const user of DEMO_USERS) expect(unit(user.unitId), user.username).toBeDefined();
    expect(new Set(DEMO_USERS.map((u) => u.username)).size).toBe(DEMO_USERS.length);
  });

  it('covers every role, at the level of the tree where the role is held', () => {
    const where = (role: string) => new Set(DEMO_USERS.filter((u) => u.roles.includes(role as never)).map((u) => unit(u.unitId)!.level));
    for (const role of ROLES) expect(where(role).size, role).toBeGreaterThan(0);
    expect([...where('investigator')].sort()).toEqual(['banner', 'league', 'region']);
    expect(where('approver').has('league')).toBe(true);
    expect([...where('regional_approver')]).toEqual(['region']);
  });

  it('gives the highly sensitive chain its people: a league approver and two regional approvers', () => {
    expect(DEMO_USERS.filter((u) => u.unitId === '150600' && u.roles.includes('approver')).length).toBeGreaterThanOrEqual(1);
    expect(DEMO_USERS.filter((u) => u.roles.includes('regional_approver')).length).toBeGreaterThanOrEqual(2);
  });

  it('gives every department of the catalogue its operator, ops.<department>, who reads that department\'s entries', async () => {
    const { categories } = (await import('../policies/categories.json')).default as { categories: Record<string, { department: string }> };
    for (const department of new Set(Object.values(categories).map((c) => c.department))) {
      const operator = DEMO_USERS.find((u) => u.username === `ops.${department}`);
      expect(operator, department).toMatchObject({ roles: ['department_operator'], department });
    }
  });

  it('has the places of the story: Alxa, Ordos and Ejin Horo, Hohhot, Baotou, Hulunbuir, Xilingol', () => {
    const named = new Set(DEMO_USERS.map((u) => unit(u.unitId)!.name.replace(/ Commission.*$/, '')));
    for (const place of ['Alxa League', 'Ordos City', 'Ejin Horo Banner', 'Hohhot City', 'Baotou City', 'Hulunbuir City', 'Xilingol League']) {
      expect(named.has(place), place).toBe(true);
    }
  });
});
