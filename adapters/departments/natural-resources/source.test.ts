import { describe, expect, it } from 'vitest';
import { creditCodeProblem, residentIdProblem } from '../../../proto/subjects';
import catalogue from '../../../policies/categories.json';
import { LI, LI_SON_ELDER, LI_SON_YOUNGER, MUHUDUNBAO_COOPERATIVE } from '../demo-world/world';
import {
  createNaturalResourcesSource,
  NATURAL_RESOURCES,
  NATURAL_RESOURCES_CATEGORIES,
  naturalResourcesDemoSubjectIds,
} from '.';

const source = createNaturalResourcesSource();
const person = (id: string) => ({ kind: 'person' as const, id });

describe('natural_resources demo data', () => {
  it('serves exactly the catalogue categories and fields of natural_resources', () => {
    const expected = Object.fromEntries(
      Object.entries(catalogue.categories)
        .filter(([, c]) => c.department === NATURAL_RESOURCES)
        .map(([name, c]) => [name, c.fields]),
    );
    expect(NATURAL_RESOURCES_CATEGORIES).toEqual(expected);
  });

  it('has valid, unique subject IDs: persons by resident ID, organisations by credit code', () => {
    expect(naturalResourcesDemoSubjectIds.length).toBeGreaterThanOrEqual(20);
    for (const id of naturalResourcesDemoSubjectIds) {
      expect(residentIdProblem(id) === null || creditCodeProblem(id) === null, id).toBe(true);
    }
    expect(naturalResourcesDemoSubjectIds).toContain(MUHUDUNBAO_COOPERATIVE);
  });

  it('Li holds nearly a thousand mu of grassland in Muhudunbao village', async () => {
    const contracts = await source.lookup('grassland_contracts', person(LI.id));
    const total = contracts.reduce((sum, c) => sum + Number(c.area_mu), 0);
    expect(total).toBeGreaterThan(900);
    expect(total).toBeLessThan(1000);
    for (const c of contracts) expect(c.village).toBe('伊金霍洛旗红庆河镇木呼敦包村');
  });

  it("the areas contracted to Li in 2017 are the sons' own contracted areas, which are still in force", async () => {
    const li = await source.lookup('grassland_contracts', person(LI.id));
    const since2017 = li.filter((c) => String(c.contracted_at).startsWith('2017')).map((c) => c.area_mu);
    const sons = [
      ...(await source.lookup('grassland_contracts', person(LI_SON_ELDER.id))),
      ...(await source.lookup('grassland_contracts', person(LI_SON_YOUNGER.id))),
    ];
    expect(sons).toHaveLength(2);
    expect(since2017.sort()).toEqual(sons.map((c) => c.area_mu).sort());
    for (const c of sons) {
      const end = Number(String(c.contracted_at).slice(0, 4)) + Number(c.term_years);
      expect(end).toBeGreaterThan(2019);
    }
  });

  it("the sons own homes of their own", async () => {
    expect(await source.lookup('real_estate', person(LI_SON_ELDER.id))).toHaveLength(1);
    expect(await source.lookup('real_estate', person(LI_SON_YOUNGER.id))).toHaveLength(1);
  });

  it('looks up organisations for real estate, never for grassland contracts', async () => {
    const org = { kind: 'organisation' as const, id: MUHUDUNBAO_COOPERATIVE };
    expect(await source.lookup('real_estate', org)).toHaveLength(1);
    expect(await source.lookup('grassland_contracts', org)).toEqual([]);
  });
});
