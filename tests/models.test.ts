import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  demoWorld, ELDER_SON_HOUSEHOLD, LI, LI_HOUSEHOLD, VILLAGE_RENAMES, villageCode, LI_SON_ELDER, LI_SON_YOUNGER, LOOKALIKES, PLANTED, YOUNGER_SON_HOUSEHOLD,
} from '../adapters/departments/demo-world/world';
import { findModel, runModel } from '../client/cli/duckdb-models';
import { checkModels } from '../client/cli/models-check';
import { resolveParameters, type Finding, type SourcedRecord } from '../client/core/models';
import { demoRecords, everyone } from './harness/demo-records';

const MODELS = join(import.meta.dirname, '..', 'models');
const CATALOGUE = join(import.meta.dirname, '..', 'policies', 'categories.json');
let all: SourcedRecord[];
const run = async (name: string, records = all, params: string[] = []) => {
  const model = await findModel(MODELS, name);
  return runModel(model, records, resolveParameters(model, params));
};
/** Every subject a finding's records are about. */
const subjectsOf = (f: Finding) => new Set(f.records.map((r) => String(r.record.subject)));

beforeAll(async () => {
  // The whole world: everyone every department knows, so that any false positive in the noise shows.
  all = await demoRecords(everyone(demoWorld));
}, 120_000);

describe('shipped comparison models on the whole demo world', () => {
  it('grassland-declared-twice finds exactly the two parcels Li declared again, in 2017 and 2018', async () => {
    const findings = await run('grassland-declared-twice');
    expect(findings.map((f) => [f.details.household_id, f.details.area_mu, f.details.contract_id, f.details.same_area_contract])).toEqual([
      [LI_HOUSEHOLD, 298, '伊金霍洛旗草原承包(2015)第0097号', '伊金霍洛旗草原承包(2017)第0214号'],
      [LI_HOUSEHOLD, 312.5, '伊金霍洛旗草原承包(2012)第0158号', '伊金霍洛旗草原承包(2017)第0213号'],
    ]);
    for (const f of findings) {
      expect(f.finding).toContain('2017, 2018');
      // The supporting records: both sides' payments of both years and where each recipient lives.
      expect(f.records.filter((r) => r.record.category === 'subsidies')).toHaveLength(4);
      expect(f.records.filter((r) => r.record.category === 'household').map((r) => r.record.household_id)).toEqual([LI_HOUSEHOLD, LI_HOUSEHOLD]);
    }
    // The look-alikes: a neighbour with the same area in another household, father and son with parcels of different sizes.
    const flagged = new Set(findings.flatMap((f) => [...subjectsOf(f)]));
    expect(flagged.has(LOOKALIKES.sameAreaNeighbour)).toBe(false);
    for (const id of LOOKALIKES.fatherAndSonParcels) expect(flagged.has(id)).toBe(false);
  });

  it('assistance-to-owners finds exactly the five planted cases: vehicle, enterprise stake, second home, a truck owned during the allowance, a stake kept through a merger', async () => {
    const findings = await run('assistance-to-owners');
    expect(findings.map((f) => [f.details.case_id, f.details.recipient_id])).toEqual([
      ['MZ150121-DB-99003', PLANTED.assistanceWithRealEstate.recipient],
      ['MZ150621-DB-99002', PLANTED.assistanceWithEnterprise.recipient],
      ['MZ150624-DB-99001', PLANTED.assistanceWithVehicle.recipient],
      ['MZ150626-DB-99005', PLANTED.assistanceWithUsedTruck.recipient],
      ['MZ152526-DB-99006', PLANTED.assistanceWithMergedCooperative.recipient],
    ]);
    const of = (id: string) => findings.find((f) => f.details.recipient_id === id)!;
    const enterprise = of(PLANTED.assistanceWithEnterprise.recipient);
    expect(enterprise.records.map((r) => r.record.category).sort()).toEqual(['enterprises', 'social_assistance']);
    expect(enterprise.records.find((r) => r.record.category === 'enterprises')!.record.subject).toBe(PLANTED.assistanceWithEnterprise.shareholder);
    // Suhe's truck: his own record of it (held 2018–2021), not the seller's or the next buyer's.
    expect(of(PLANTED.assistanceWithUsedTruck.recipient).records.filter((r) => r.record.category === 'vehicles').map((r) => [r.record.plate_no, r.record.owned_from]))
      .toEqual([[PLANTED.assistanceWithUsedTruck.plate, '2018-04-16']]);
    // Saren: the cooperative that absorbed hers, held during the allowance; not the merged one, gone before it began.
    expect(of(PLANTED.assistanceWithMergedCooperative.recipient).records.filter((r) => r.record.category === 'enterprises').map((r) => r.record.credit_code))
      .toEqual([PLANTED.assistanceWithMergedCooperative.mergedInto]);
  });

  it('assistance-to-owners flags none of the look-alikes nor the noise: a car sold before or bought after the allowance, a stake taken after it or left before it, one home registered twice', async () => {
    const recipients = (await run('assistance-to-owners')).map((f) => f.details.recipient_id);
    const householdOf = new Map(demoWorld.households.flatMap((h) => h.members.map((m) => [m.person.id, h] as const)));
    const members = (a: (typeof demoWorld.assistance)[number]) => new Set(householdOf.get(a.recipientId)?.members.map((m) => m.person.id));
    const homes = (ids: Set<string>) => demoWorld.properties.filter((x) => ids.has(x.holderId) && (x.use === '住宅' || x.use === '宅基地/住宅'));
    const noise = demoWorld.assistance.filter((a) => {
      const ids = members(a);
      const vehicles = demoWorld.vehicles.filter((v) => ids.has(v.ownerId));
      const stakes = demoWorld.enterprises.flatMap((e) => e.shareholders.filter((s) => ids.has(s.holderId)));
      return vehicles.some((v) => (v.transferredAt && v.transferredAt < a.periodFrom) || (a.periodTo && v.ownedFrom && v.ownedFrom > a.periodTo))
        || stakes.some((s) => (a.periodTo && s.since && s.since > a.periodTo) || (s.until && s.until < a.periodFrom))
        || new Set(homes(ids).map((x) => x.address)).size > 1;
    }).map((a) => a.recipientId).filter((id) => !Object.values(PLANTED).some((p) => Object.values(p).includes(id)));
    // The look-alike (the wife who left her cooperative) and at least one of each kind of noise.
    expect(noise).toContain(LOOKALIKES.assistanceAfterWifeLeftCooperative.recipient);
    expect(noise.length).toBeGreaterThanOrEqual(6);
    for (const id of [...noise, LOOKALIKES.assistanceWithTricycle, LOOKALIKES.assistanceAfterCarSold, LOOKALIKES.assistanceAfterShopClosed]) expect(recipients).not.toContain(id);
  });

  it('assistance-to-owners changes its answer with its parameter: without exemptions the tricycle is a finding too', async () => {
    const findings = await run('assistance-to-owners', all, ['exempt_vehicles=none']);
    expect(findings.map((f) => f.details.recipient_id)).toContain(LOOKALIKES.assistanceWithTricycle);
  });

  it('official-household-benefits finds the gacha head and the party secretary, not the namesake or the former official', async () => {
    const findings = await run('official-household-benefits');
    expect(findings.map((f) => f.details.official_id).sort()).toEqual([PLANTED.officialHouseholdAssistance.official, PLANTED.officialHouseholdSubsidy.official].sort());
    const flagged = findings.flatMap((f) => [...subjectsOf(f)]);
    expect(flagged).not.toContain(LOOKALIKES.officialNamesake);
    expect(flagged).not.toContain(LOOKALIKES.formerOfficial);
    // Li is an official too, but the grassland subsidy is an entitlement, not a means-tested benefit.
    expect(findings.map((f) => f.details.official_id)).not.toContain(LI.id);
  });

  it("subsidy-after-leaving finds Li's sons and the farmer who moved to town, not the one who moved after the last payment", async () => {
    const findings = await run('subsidy-after-leaving');
    expect(findings.map((f) => [f.details.recipient_id, f.details.paid_as_member_of, f.details.registered_in])).toEqual([
      [PLANTED.paidAfterLeaving.recipient, PLANTED.paidAfterLeaving.formerHousehold, 'HH150523-100-2907'],
      [LI_SON_ELDER.id, ELDER_SON_HOUSEHOLD, LI_HOUSEHOLD],
      [LI_SON_YOUNGER.id, YOUNGER_SON_HOUSEHOLD, LI_HOUSEHOLD],
    ]);
    expect(findings.flatMap((f) => [...subjectsOf(f)])).not.toContain(LOOKALIKES.movedAfterLastPayment);
  });
});

describe('the noise of the demo world is no finding', () => {
  it('no model flags a person who died, or a record of a renamed village', async () => {
    const dead = new Set(demoWorld.households.flatMap((h) => h.members.filter((m) => m.died).map((m) => m.person.id)));
    const renamed = new Set(VILLAGE_RENAMES.map((r) => villageCode(r.from)));
    expect(dead.size).toBeGreaterThan(0);
    for (const name of ['assistance-to-owners', 'grassland-declared-twice', 'official-household-benefits', 'subsidy-after-leaving']) {
      for (const f of await run(name)) {
        for (const r of f.records) {
          expect(dead.has(String(r.record.subject)), `${name}: ${f.finding}`).toBe(false);
          expect(renamed.has(String(r.record.village_code)), `${name}: ${f.finding}`).toBe(false);
        }
      }
    }
  });

  it('grassland-declared-twice compares villages by code: a rename between the declarations neither hides the case nor a namesake village makes one', async () => {
    const records = await demoRecords([LI.id, LI_SON_ELDER.id, LI_SON_YOUNGER.id], 'inq-1');
    const subsidy = (r: SourcedRecord) => r.record.category === 'subsidies' && r.record.programme === '草原生态保护补助奖励';
    // Li's own 2018 declarations under a new name of the village, the sons' roll entries under the old one.
    const renamed = records.map((r) => (subsidy(r) && r.record.subject === LI.id && r.record.year === 2018 ? { ...r, record: { ...r.record, village: '伊金霍洛旗红庆河镇木呼敦包新村' } } : r));
    const found = await run('grassland-declared-twice', renamed);
    expect(found.map((f) => f.details.area_mu)).toEqual([298, 312.5]);
    for (const f of found) expect(f.finding).toContain('2017, 2018');
    // The sons' parcels in another village of the same name (another code): nothing was declared twice.
    const elsewhere = records.map((r) => (subsidy(r) && r.record.subject !== LI.id ? { ...r, record: { ...r.record, village_code: '150627101201' } } : r));
    expect(await run('grassland-declared-twice', elsewhere)).toEqual([]);
  });
});

describe('a model over what one inquiry returns', () => {
  it("finds Li's case from an inquiry about Li and his sons alone", async () => {
    const records = await demoRecords([LI.id, LI_SON_ELDER.id, LI_SON_YOUNGER.id], 'inq-1');
    expect((await run('grassland-declared-twice', records)).map((f) => f.details.area_mu)).toEqual([298, 312.5]);
    expect((await run('subsidy-after-leaving', records)).map((f) => f.details.recipient_id)).toEqual([LI_SON_ELDER.id, LI_SON_YOUNGER.id]);
    // Without the household records, nothing can be compared: no finding, rather than a guess.
    expect(await run('grassland-declared-twice', records.filter((r) => r.record.category !== 'household'))).toEqual([]);
  });
});

describe('models:check', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'qiao-models-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('passes the shipped models', async () => {
    const { models, problems } = await checkModels(MODELS, CATALOGUE);
    expect(problems).toEqual([]);
    expect(models.map((m) => m.name)).toEqual(['assistance-to-owners', 'grassland-declared-twice', 'official-household-benefits', 'subsidy-after-leaving']);
  });

  it('names a field the catalogue does not have, a column the model did not declare, and a missing finding column', async () => {
    await cp(MODELS, dir, { recursive: true });
    const edit = async (file: string, from: string, to: string) => {
      const text = await readFile(join(dir, file), 'utf8');
      expect(text).toContain(from);
      await writeFile(join(dir, file), text.replace(from, to));
    };
    await edit('subsidy-after-leaving.sql', 'household(household_id)', 'household(household_id, police_station)');
    await edit('grassland-declared-twice.sql', 's.contract_id IS NOT NULL', 's.parcel_no IS NOT NULL');
    await edit('official-household-benefits.sql', 'AS finding,', 'AS summary,');
    const { problems } = await checkModels(dir, CATALOGUE);
    expect(problems).toEqual([
      expect.stringMatching(/^model grassland-declared-twice: DuckDB refused its SQL: .*parcel_no/),
      expect.stringMatching(/^model official-household-benefits: its result has no "finding" column/),
      expect.stringMatching(/^subsidy-after-leaving: needs household\.police_station, which .*categories\.json does not list/),
    ]);
  });
});
