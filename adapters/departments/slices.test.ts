import { describe, expect, it } from 'vitest';
import catalogue from '../../policies/categories.json';
import { creditCodeProblem, residentIdProblem } from '../../proto/subjects';
import { createCivilAffairsSource } from './civil-affairs';
import { DEATHS, demoWorld, ELDER_SON_HOUSEHOLD, LOOKALIKES, VILLAGE_RENAMES, villageCode, LI, LI_HOUSEHOLD, LI_SON_ELDER, LI_SON_YOUNGER, MUHUDUNBAO_COOPERATIVE, PLANTED, YOUNGER_SON_HOUSEHOLD } from './demo-world/world';
import { monthsBetween } from './demo-world/records';
import { createFinanceSource } from './finance';
import { DEMO_DEPARTMENTS } from '.';
import { createMarketRegulationSource } from './market-regulation';
import { createNaturalResourcesSource } from './natural-resources';
import { createOrganisationSource } from './organisation';
import { createPublicSecuritySource } from './public-security';
import { createVehicleAdministrationSource } from './vehicle-administration';

const person = (id: string) => ({ kind: 'person' as const, id });
const categories = catalogue.categories as Record<string, { department: string; fields: string[] }>;

describe('the demo departments', () => {
  it('each serves exactly its catalogue categories and fields, and nothing of the others', async () => {
    for (const [department, demo] of Object.entries(DEMO_DEPARTMENTS)) {
      const source = demo.createSource({ volume: 3 });
      const own = Object.fromEntries(Object.entries(categories).filter(([, c]) => c.department === department).map(([n, c]) => [n, c.fields]));
      expect(source.categories, department).toEqual(own);
      for (const [name, c] of Object.entries(categories)) {
        // The kit only ever asks a source for its own categories; the bank's generator does not look at the name.
        if (c.department === department || department === 'bank') continue;
        const found = source.lookup(name, person(LI.id));
        const records: unknown[] = [];
        for await (const r of Symbol.asyncIterator in found ? found : await found) records.push(r);
        expect(records, `${department} answers ${name}`).toEqual([]);
      }
    }
  });

  it('every catalogue department is a demo department', () => {
    for (const c of Object.values(categories)) expect(Object.keys(DEMO_DEPARTMENTS)).toContain(c.department);
  });

  it('has a population of a few thousand people and a few hundred organisations with valid identifiers', () => {
    const people = new Set(demoWorld.households.flatMap((h) => h.members.map((m) => m.person.id)));
    expect(people.size).toBeGreaterThan(2000);
    for (const id of people) expect(residentIdProblem(id), id).toBeNull();
    expect(demoWorld.enterprises.length).toBeGreaterThan(200);
    for (const e of demoWorld.enterprises) expect(creditCodeProblem(e.creditCode), e.creditCode).toBeNull();
    expect(new Set(demoWorld.enterprises.map((e) => e.creditCode)).size).toBe(demoWorld.enterprises.length);
    // Shared names: comparisons must join on identifiers, never on names.
    const names = [...people].length - new Set(demoWorld.households.flatMap((h) => h.members.map((m) => m.person.name))).size;
    expect(names).toBeGreaterThan(100);
  });
});

describe('finance', () => {
  it("pays the sons' grassland subsidy in their former households after 2017 while Li declares the same areas again", async () => {
    const finance = createFinanceSource();
    const li = await finance.lookup('subsidies', person(LI.id));
    const elder = await finance.lookup('subsidies', person(LI_SON_ELDER.id));
    const younger = await finance.lookup('subsidies', person(LI_SON_YOUNGER.id));
    const in2017 = (rows: Record<string, unknown>[]) => rows.filter((r) => r.year === 2017);
    expect(in2017(li).map((r) => r.declared_area_mu).sort()).toEqual([298, 312.5, 356]);
    expect(in2017(li).every((r) => r.household_id === LI_HOUSEHOLD)).toBe(true);
    expect(in2017(elder)).toMatchObject([{ household_id: ELDER_SON_HOUSEHOLD, declared_area_mu: 312.5 }]);
    expect(in2017(younger)).toMatchObject([{ household_id: YOUNGER_SON_HOUSEHOLD, declared_area_mu: 298 }]);
    expect(li.reduce((s, r) => s + Number(r.amount), 0)).toBe((356 * 3 + (312.5 + 298) * 2) * 2.5);
  });
});

describe('market regulation, vehicles, officials, civil affairs', () => {
  it('knows the cooperative Li represents, with his sons as shareholders, by code and by person', async () => {
    const market = createMarketRegulationSource();
    const [coop] = await market.lookup('enterprises', { kind: 'organisation', id: MUHUDUNBAO_COOPERATIVE });
    expect(coop).toMatchObject({ legal_rep_id: LI.id, status: '存续', role: null });
    expect((coop!.shareholders as { holder_id: string }[]).map((s) => s.holder_id)).toEqual([LI.id, LI_SON_ELDER.id, LI_SON_YOUNGER.id]);
    expect(await market.lookup('enterprises', person(LI_SON_ELDER.id))).toMatchObject([{ credit_code: MUHUDUNBAO_COOPERATIVE, role: '股东', share_pct: 20 }]);
    expect(await market.lookup('enterprises', person(LI.id))).toMatchObject([{ role: '法定代表人、股东', share_pct: 60 }]);
  });

  it('names Li as village committee director, and keeps internal columns for the projection to drop', async () => {
    expect(await createOrganisationSource().lookup('public_officials', person(LI.id))).toMatchObject([{ post: '村民委员会主任', left_at: null }]);
    const [car] = await createVehicleAdministrationSource().lookup('vehicles', person(LI.id));
    expect(car).toMatchObject({ owner_id: LI.id, status: '正常' });
    expect(car).toHaveProperty('vin');
    const [allowance] = await createCivilAffairsSource().lookup('social_assistance', person(PLANTED.assistanceWithVehicle.recipient));
    expect(allowance).toMatchObject({ household_id: PLANTED.assistanceWithVehicle.household, period_to: null });
    expect(allowance).toHaveProperty('case_worker');
  });
});

describe('ownership over time: vehicles sold, cooperatives merged or left', () => {
  it("vehicle administration shows Suhe's truck on each owner's record: bought during his allowance, sold on after it", async () => {
    const vehicles = createVehicleAdministrationSource();
    const { recipient, plate } = PLANTED.assistanceWithUsedTruck;
    const [his] = (await vehicles.lookup('vehicles', person(recipient))) as Record<string, unknown>[];
    expect(his).toMatchObject({ plate_no: plate, registered_at: '2013-06-11', owned_from: '2018-04-16', transferred_at: '2021-05-20', status: '转移', deregistered_at: null });
    const [next] = (await vehicles.lookup('vehicles', person(String(his!.transferred_to)))) as Record<string, unknown>[];
    expect(next).toMatchObject({ plate_no: plate, owned_from: '2021-05-20', transferred_at: null, transferred_to: null, status: '正常' });
    // A vehicle held since its registration says so.
    const [li] = (await vehicles.lookup('vehicles', person(LI.id))) as Record<string, unknown>[];
    expect(li).toMatchObject({ owned_from: li!.registered_at, transferred_at: null, deregistration_reason: null });
  });

  it("market regulation shows Saren's cooperative merged into another, where she holds a stake from the merger", async () => {
    const market = createMarketRegulationSource();
    const { recipient, merged, mergedInto } = PLANTED.assistanceWithMergedCooperative;
    const rows = (await market.lookup('enterprises', person(recipient))) as Record<string, unknown>[];
    expect(rows).toMatchObject([
      { credit_code: merged, status: '注销', deregistered_at: '2018-09-26', deregistration_reason: '因合并注销', merged_into: mergedInto, role: '股东', role_since: '2014-05-10', role_until: null },
      { credit_code: mergedInto, status: '存续', merged_into: null, role: '股东', role_since: '2018-09-26', share_pct: 18 },
    ]);
    const [absorbing] = (await market.lookup('enterprises', { kind: 'organisation', id: mergedInto })) as Record<string, unknown>[];
    expect(absorbing!.shareholders).toContainEqual({ holder_id: recipient, name: '萨仁', share_pct: 18, since: '2018-09-26', until: null });
  });

  it('market regulation shows when a member left (退社) her cooperative', async () => {
    const { wife, cooperative } = LOOKALIKES.assistanceAfterWifeLeftCooperative;
    expect(await createMarketRegulationSource().lookup('enterprises', person(wife))).toMatchObject([
      { credit_code: cooperative, status: '存续', role: '股东', role_since: '2013-04-18', role_until: '2017-11-30' },
    ]);
  });
});

describe('ordinary noise: deaths and renamed villages', () => {
  const dead = demoWorld.households.flatMap((h) => h.members.filter((m) => m.died).map((m) => ({ id: m.person.id, ...m.died! })));
  const diedAt = new Map(dead.map((d) => [d.id, d.at]));

  it('has a few dozen deaths between 2012 and 2023, each cancelled in the household register (死亡注销) after the death', async () => {
    expect(dead).toHaveLength(DEATHS);
    const register = createPublicSecuritySource();
    for (const d of dead) {
      expect(d.at >= '2012-01-01' && d.at <= '2023-12-31', d.id).toBe(true);
      const members = (await register.lookup('household_members', person(d.id))) as Record<string, unknown>[];
      const self = members.find((m) => m.member_id === d.id)!;
      expect(self.death_cancelled_at, d.id).toBe(d.cancelledAt);
      expect(d.cancelledAt > d.at).toBe(true);
    }
    // The living are not cancelled.
    const li = (await register.lookup('household_members', person(LI.id))) as Record<string, unknown>[];
    expect(li.every((m) => m.death_cancelled_at === null)).toBe(true);
  });

  it('finance pays nobody after their death, though a payment earlier in the year of death stays', () => {
    const paid = demoWorld.subsidies.filter((s) => diedAt.has(s.recipientId));
    expect(paid.length).toBeGreaterThan(0);
    for (const s of paid) expect(s.paidAt <= diedAt.get(s.recipientId)!, s.paymentId).toBe(true);
    expect(paid.some((s) => s.year === Number(diedAt.get(s.recipientId)!.slice(0, 4)))).toBe(true);
  });

  it('civil affairs closes the allowance at the end of the month of death, and a post ends with its holder', async () => {
    const civil = createCivilAffairsSource();
    const closed = demoWorld.assistance.filter((a) => diedAt.has(a.recipientId));
    expect(closed.length).toBeGreaterThanOrEqual(3);
    expect(closed.some((a) => a.periodTo!.slice(0, 7) === diedAt.get(a.recipientId)!.slice(0, 7))).toBe(true);
    for (const a of closed) {
      const [row] = (await civil.lookup('social_assistance', person(a.recipientId))) as Record<string, unknown>[];
      const at = diedAt.get(a.recipientId)!;
      const endOfMonth = new Date(Date.UTC(Number(at.slice(0, 4)), Number(at.slice(5, 7)), 0)).toISOString().slice(0, 10);
      // Closed at the end of the month of death, unless it had ended before.
      expect(String(row!.period_to) <= endOfMonth, a.caseId).toBe(true);
      expect(row!.total_amount).toBe(Number(row!.monthly_amount) * monthsBetween(String(row!.period_from), String(row!.period_to)));
    }
    const posts = demoWorld.officials.filter((o) => diedAt.has(o.personId));
    expect(posts.length).toBeGreaterThan(0);
    for (const o of posts) expect(o.leftAt !== null && o.leftAt <= diedAt.get(o.personId)!, o.personId).toBe(true);
  });

  it('a renamed village has payments under its old and its new name with one village code, and contracts under the old name', async () => {
    const finance = createFinanceSource();
    const land = createNaturalResourcesSource();
    for (const r of VILLAGE_RENAMES) {
      const code = villageCode(r.from);
      expect(villageCode(r.to)).toBe(code);
      const payments = demoWorld.subsidies.filter((s) => s.village === r.from || s.village === r.to);
      const before = payments.filter((s) => s.paidAt < r.at);
      const after = payments.filter((s) => s.paidAt >= r.at);
      expect(before.length, r.from).toBeGreaterThan(0);
      expect(after.length, r.to).toBeGreaterThan(0);
      expect(before.every((s) => s.village === r.from) && after.every((s) => s.village === r.to)).toBe(true);
      const rows = (await finance.lookup('subsidies', person(after[0]!.recipientId))) as Record<string, unknown>[];
      expect(new Set(rows.map((x) => x.village))).toEqual(new Set([r.from, r.to]));
      expect(new Set(rows.map((x) => x.village_code))).toEqual(new Set([code]));
      if (after[0]!.contractId) {
        const contracts = (await land.lookup('grassland_contracts', person(after[0]!.recipientId))) as Record<string, unknown>[];
        expect(contracts).toMatchObject([{ village: r.from, village_code: code }]);
      }
    }
  });
});
