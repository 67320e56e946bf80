import { describe, expect, it } from 'vitest';
import { residentIdProblem } from '../../../proto/subjects';
import catalogue from '../../../policies/categories.json';
import {
  LI,
  LI_HOUSEHOLD,
  LI_SON_ELDER,
  LI_SON_ELDER_WIFE,
  LI_SON_YOUNGER,
  LI_SON_YOUNGER_WIFE,
  LI_WIFE,
} from '../demo-world/world';
import { createPublicSecuritySource, PUBLIC_SECURITY, PUBLIC_SECURITY_CATEGORIES, publicSecurityDemoSubjectIds } from '.';

const source = createPublicSecuritySource();
const person = (id: string) => ({ kind: 'person' as const, id });

describe('public_security demo data', () => {
  it('serves exactly the catalogue categories and fields of public_security', () => {
    const expected = Object.fromEntries(
      Object.entries(catalogue.categories)
        .filter(([, c]) => c.department === PUBLIC_SECURITY)
        .map(([name, c]) => [name, c.fields]),
    );
    expect(PUBLIC_SECURITY_CATEGORIES).toEqual(expected);
  });

  it('has a few dozen people with valid, unique resident IDs across several banners', () => {
    expect(publicSecurityDemoSubjectIds.length).toBeGreaterThanOrEqual(36);
    expect(new Set(publicSecurityDemoSubjectIds).size).toBe(publicSecurityDemoSubjectIds.length);
    for (const id of publicSecurityDemoSubjectIds) expect(residentIdProblem(id), id).toBeNull();
    expect(new Set(publicSecurityDemoSubjectIds.map((id) => id.slice(0, 6))).size).toBeGreaterThanOrEqual(10);
  });

  it("is the same on every build (seeded), so demo IDs can be written down", async () => {
    const again = createPublicSecuritySource();
    for (const id of publicSecurityDemoSubjectIds.slice(-10)) {
      expect(await again.lookup('household_members', person(id))).toEqual(await source.lookup('household_members', person(id)));
    }
  });

  it("shows both of Li's sons moved back into his household in March 2017 from households of their own", async () => {
    const members = await source.lookup('household_members', person(LI.id));
    expect(members.map((m) => m.member_id)).toEqual([LI.id, LI_WIFE.id, LI_SON_ELDER.id, LI_SON_YOUNGER.id]);
    const sons = members.filter((m) => m.member_id === LI_SON_ELDER.id || m.member_id === LI_SON_YOUNGER.id);
    for (const son of sons) {
      expect(son.joined_at).toMatch(/^2017-03/);
      expect(son.moved_from).toMatch(/^HH150627-106-/);
    }
    const [household] = await source.lookup('household', person(LI_SON_ELDER.id));
    expect(household).toMatchObject({ household_id: LI_HOUSEHOLD, head_id: LI.id, relation_to_head: '长子' });
  });

  it("shows the sons' former households still registered, headed by their wives, with their children", async () => {
    const members = await source.lookup('household_members', person(LI.id));
    for (const [son, wife, since] of [
      [LI_SON_ELDER, LI_SON_ELDER_WIFE, '2012'],
      [LI_SON_YOUNGER, LI_SON_YOUNGER_WIFE, '2015'],
    ] as const) {
      const former = members.find((m) => m.member_id === son.id)!.moved_from;
      const [wifeHousehold] = await source.lookup('household', person(wife.id));
      expect(wifeHousehold).toMatchObject({ household_id: former, head_id: wife.id, relation_to_head: '户主' });
      expect(wifeHousehold!.registered_at).toMatch(new RegExp(`^${since}-`));
      const theirs = await source.lookup('household_members', person(wife.id));
      expect(theirs).toHaveLength(2); // the wife and a child born before 2017
    }
  });

  it('answers nothing for unknown persons and for organisations', async () => {
    expect(await source.lookup('household', person('11010519491231002X'))).toEqual([]);
    expect(await source.lookup('household', { kind: 'organisation', id: '91350100M000100Y43' })).toEqual([]);
  });
});
