import { createPrng } from './prng';
import { monthsBetween } from './records';
import { VILLAGE_RENAMES, villageNameOn } from './places';
import type { DemoMember, DemoWorld } from './types';

/**
 * Ordinary noise laid over the generated population after everything else is drawn, from its
 * own seeded stream (so no generated ID and no planted case moves):
 *
 * - Deaths (2012–2023): public security cancels the registration (死亡注销) a few days after;
 *   finance stops paying (a payment earlier in the year of death stays: it was lawful); civil
 *   affairs closes the allowance at the end of the month of death; a post ends on the day.
 * - Renamed villages (`VILLAGE_RENAMES`): finance's roll writes the name in force when it paid,
 *   so a renamed village has payments under both names; natural resources' contracts keep the
 *   name they were written with. The village code stays.
 *
 * None of it is a finding: the noise is lawful by construction.
 */

const SEED = 20190403;
/** People of the generated population who died. */
export const DEATHS = 40;

const pad = (n: number) => String(n).padStart(2, '0');
const addDays = (iso: string, days: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const birthOf = (id: string) => `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
const endOfMonth = (iso: string) => new Date(Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)), 0)).toISOString().slice(0, 10);

export function addNoise(world: DemoWorld): DemoWorld {
  const p = createPrng(SEED);
  // Li's village is left as the seed describes it.
  const households = world.households.filter((h) => !h.village?.endsWith('木呼敦包村'));
  const died = new Map<string, string>();
  const deathOf = new Map<DemoMember, DemoMember['died']>();

  // Some deaths among the people civil affairs, finance and the organisation department know, so
  // that each of them stops: four on the allowance, ten paid in the subsidy years, one in office.
  const members = households.flatMap((h) => h.members);
  const byId = new Map(members.map((m) => [m.person.id, m]));
  const die = (m: DemoMember | undefined, after: string, years: [number, number]) => {
    if (!m || died.has(m.person.id)) return false;
    const earliest = [birthOf(m.person.id), m.joinedAt, after, '2012-01-01'].sort().at(-1)!;
    const at = `${p.int(years[0], years[1])}-${pad(p.int(1, 12))}-${pad(p.int(1, 28))}`;
    if (at <= addDays(earliest, 30)) return false;
    died.set(m.person.id, at);
    deathOf.set(m, { at, cancelledAt: addDays(at, p.int(3, 25)) });
    return true;
  };
  const assistance = world.assistance.filter((a) => byId.has(a.recipientId));
  for (let n = 0, i = 0; n < 4 && i < 1000; i++) {
    const a = p.pick(assistance);
    if (die(byId.get(a.recipientId), a.periodFrom, [2016, 2023])) n++;
  }
  const paid = world.subsidies.filter((s) => byId.has(s.recipientId));
  for (let n = 0, i = 0; n < 10 && i < 1000; i++) if (die(byId.get(p.pick(paid).recipientId), '2012-01-01', [2016, 2020])) n++;
  const officials = world.officials.filter((o) => byId.has(o.personId));
  for (let n = 0, i = 0; n < 1 && i < 1000; i++) {
    const o = p.pick(officials);
    if (die(byId.get(o.personId), o.appointedAt, [2016, 2023])) n++;
  }
  for (let i = 0; died.size < DEATHS && i < 10_000; i++) die(p.pick(members), '2012-01-01', [2012, 2023]);

  const dead = (id: string, on: string) => {
    const at = died.get(id);
    return at !== undefined && on > at;
  };
  const villagesRenamed = new Set(VILLAGE_RENAMES.map((r) => r.from));
  return {
    ...world,
    households: world.households.map((h) => ({
      ...h,
      members: h.members.map((m) => (deathOf.has(m) ? { ...m, died: deathOf.get(m)! } : m)),
    })),
    subsidies: world.subsidies
      .filter((s) => !dead(s.recipientId, s.paidAt))
      .map((s) => (villagesRenamed.has(s.village) ? { ...s, village: villageNameOn(s.village, s.paidAt) } : s)),
    assistance: world.assistance.flatMap((a) => {
      const at = died.get(a.recipientId);
      if (at === undefined) return [a];
      if (at < a.periodFrom) return [];
      const end = endOfMonth(at);
      if (a.periodTo !== null && a.periodTo <= end) return [a];
      return [{ ...a, periodTo: end, totalAmount: a.monthlyAmount * monthsBetween(a.periodFrom, end) }];
    }),
    // Nobody registers a car or a home, or founds a business, after they died.
    vehicles: world.vehicles.filter((v) => !dead(v.ownerId, v.registeredAt)),
    properties: world.properties.filter((x) => !dead(x.holderId, x.registeredAt)),
    enterprises: world.enterprises.filter((e) => ![e.legalRepId, ...e.shareholders.map((x) => x.holderId)].some((id) => dead(id, e.establishedAt))),
    officials: world.officials.flatMap((o) => {
      const at = died.get(o.personId);
      if (at === undefined) return [o];
      if (at < o.appointedAt) return [];
      return [{ ...o, leftAt: o.leftAt !== null && o.leftAt < at ? o.leftAt : at }];
    }),
  };
}
