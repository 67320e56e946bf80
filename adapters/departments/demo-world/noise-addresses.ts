import { addDays, dayBetween, livingMembers, pad } from './dates';
import { createPrng, type Prng } from './prng';
import { unique } from './records';
import type { DemoAssistance, DemoProperty, DemoWorld } from './types';

/**
 * The same home written differently, laid over the generated population after the deaths, from
 * its own seeded stream. Clerks of different offices and years write one address in several
 * ways; `ADDRESS_VARIANTS` are the ones the demo uses (models/assistance-to-owners.sql undoes
 * exactly these when it counts homes):
 *
 * - 号 written in its traditional form 號;
 * - a space after the banner or county (内蒙古自治区…乌审旗 嘎鲁图镇…);
 * - full-width digits (三社１２号);
 * - a gacha (嘎查, the pastoral village) written 村.
 *
 * Some registered homes are rewritten so; and a few assisted rural households have their one
 * home registered twice — the homestead (宅基地) in the head's name, then the house in the
 * spouse's name when land and house were registered together (房地一体), by another clerk who
 * wrote the address another way. Still one home: no second home.
 */

const SEED = 20190406;
export const ADDRESS_NOISE = { rewritten: 60, homeRegisteredTwice: 2 } as const;

export const ADDRESS_VARIANTS: readonly ((address: string) => string)[] = [
  (a) => a.replaceAll('号', '號'),
  (a) => a.replace(/^(.*?(?:旗|县))/, '$1 '),
  (a) => a.replace(/[0-9]/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0)),
  (a) => a.replaceAll('嘎查', '村'),
];

/** The address written another way: one or two of the variants, each changing it. */
export function rewriteAddress(p: Prng, address: string): string {
  const changing = ADDRESS_VARIANTS.filter((v) => v(address) !== address);
  if (changing.length === 0) return address;
  const first = p.pick(changing);
  const second = p.chance(0.3) ? p.pick(changing) : undefined;
  return second && second !== first ? second(first(address)) : first(address);
}

export function addAddressNoise(world: DemoWorld): DemoWorld {
  const p = createPrng(SEED);
  const living = livingMembers(world);
  const properties = [...world.properties];
  const ids = new Set(properties.map((x) => x.propertyId));
  const rewritten = new Set<DemoProperty>();
  for (let n = 0, i = 0; n < ADDRESS_NOISE.rewritten && i < 1000; i++) {
    const x = p.pick(properties);
    const address = rewriteAddress(p, x.address);
    if (rewritten.has(x) || address === x.address) continue;
    const changed = { ...x, address };
    properties.splice(properties.indexOf(x), 1, changed);
    rewritten.add(changed);
    n++;
  }

  const households = new Map(world.households.map((h) => [h.id, h]));
  const used = new Set<DemoAssistance>();
  for (let n = 0, i = 0; n < ADDRESS_NOISE.homeRegisteredTwice && i < 1000; i++) {
    const a = p.pick(world.assistance);
    const h = households.get(a.householdId)!;
    const [head, spouse] = h.members;
    if (used.has(a) || !h.village || !spouse || !living.has(head!.person.id) || !living.has(spouse.person.id)) continue;
    const land = dayBetween(p, [h.registeredAt, '2008-01-01'].sort()[1]!, addDays(a.periodFrom, -400));
    const house = land && dayBetween(p, addDays(land, 200), addDays(a.periodFrom, -30));
    if (!land || !house) continue;
    used.add(a);
    const banner = h.village.replace(/^(.*?(?:旗|县)).*$/, '$1');
    const certificate = (year: string) => unique(p, ids, () => `蒙(${year})${banner}不动产权第${pad(p.int(1, 40000), 7)}号`);
    const areaM2 = p.int(600, 1600) / 10;
    properties.push(
      { propertyId: certificate(land.slice(0, 4)), holderId: head!.person.id, address: h.address, areaM2, use: '宅基地/住宅', registeredAt: land, mortgaged: false },
      { propertyId: certificate(house.slice(0, 4)), holderId: spouse.person.id, address: rewriteAddress(p, h.address), areaM2, use: '住宅', registeredAt: house, mortgaged: false },
    );
    n++;
  }
  return { ...world, properties };
}
