import { addDays, dayBetween, livingMembers, pad } from './dates';
import { createPrng } from './prng';
import { CARS, CODE_CHARS, PLATE, unique } from './records';
import type { DemoAssistance, DemoPerson, DemoVehicle, DemoWorld } from './types';

/**
 * Vehicles scrapped or sold, laid over the generated population after the deaths, from its own
 * seeded stream (so no generated ID and no planted case moves):
 *
 * - Scrapped (报废, 车辆灭失): vehicle administration deregisters the car, with the reason.
 * - Sold (转移登记): the seller's record ends (`transferredAt`, `transferredTo`, status 转移) and
 *   the buyer's begins (`ownedFrom`); the first registration date stays the vehicle's.
 * - Among assisted households: a car sold before the allowance began, and a car bought after it
 *   ended. Neither is ownership during the period paid — a model that looked only at the first
 *   registration and the deregistration would flag both.
 *
 * The dead are neither sellers nor buyers.
 */

const SEED = 20190404;
export const VEHICLE_NOISE = { scrapped: 30, sold: 40, soldBeforeAssistance: 2, boughtAfterAssistance: 1 } as const;
const SCRAPPED = ['达到报废标准', '达到报废标准', '自愿报废', '车辆灭失'] as const;
const LAST_DAY = '2023-12-31';

export function addVehicleNoise(world: DemoWorld): DemoWorld {
  const p = createPrng(SEED);
  const living = livingMembers(world);
  const assisted = new Set(world.assistance.map((a) => a.householdId));
  // Buyers and sellers from outside: heads and spouses of households without assistance.
  const outsiders = world.households.filter((h) => !assisted.has(h.id)).flatMap((h) => h.members.slice(0, 2)).filter((m) => !m.died).map((m) => m.person);
  const plates = new Set(world.vehicles.map((v) => v.plateNo));
  const vins = new Set(world.vehicles.map((v) => v.vin));
  const vehicles = [...world.vehicles];
  const touched = new Set<DemoVehicle>();
  const untouched = () => vehicles.filter((v) => v.status === '正常' && v.ownedFrom === undefined && !touched.has(v) && living.has(v.ownerId));
  const replace = (v: DemoVehicle, ...by: DemoVehicle[]) => {
    vehicles.splice(vehicles.indexOf(v), 1, ...by);
    for (const x of by) touched.add(x);
  };
  const buyerFor = (sellerId: string) => {
    for (;;) {
      const b = p.pick(outsiders);
      if (b.id !== sellerId && living.get(b.id)?.householdId !== living.get(sellerId)?.householdId) return b;
    }
  };
  const sale = (v: DemoVehicle, to: DemoPerson, at: string): DemoVehicle[] => [
    { ...v, status: '转移', transferredAt: at, transferredTo: to.id },
    { ...v, ownerId: to.id, ownedFrom: at, status: '正常' },
  ];

  for (let n = 0, i = 0; n < VEHICLE_NOISE.scrapped && i < 1000; i++) {
    const v = p.pick(untouched());
    const at = dayBetween(p, addDays(v.registeredAt, 3 * 365), LAST_DAY);
    if (!at) continue;
    replace(v, { ...v, status: '注销', deregisteredAt: at, deregistrationReason: p.pick(SCRAPPED) });
    n++;
  }
  for (let n = 0, i = 0; n < VEHICLE_NOISE.sold && i < 1000; i++) {
    const v = p.pick(untouched());
    const at = dayBetween(p, addDays(v.registeredAt, 200), LAST_DAY);
    if (!at) continue;
    replace(v, ...sale(v, buyerFor(v.ownerId), at));
    n++;
  }

  const cases = world.assistance.filter((a) => living.has(a.recipientId));
  const used = new Set<DemoAssistance>();
  const newVehicle = (owner: DemoPerson, householdId: string, registeredAt: string): DemoVehicle => {
    const [vehicleType, brand] = p.pick(CARS);
    return {
      plateNo: unique(p, plates, () => `${PLATE[householdId.slice(2, 6)] ?? '蒙A'}·${p.pick([...CODE_CHARS.slice(10)])}${pad(p.int(0, 9999), 4)}`),
      ownerId: owner.id, vehicleType, brand, registeredAt, status: '正常', deregisteredAt: null,
      vin: unique(p, vins, () => `L${Array.from({ length: 16 }, () => p.pick([...CODE_CHARS])).join('')}`),
    };
  };
  // Sold before the allowance began: the household owned a car, then nothing, then was assisted.
  for (let n = 0, i = 0; n < VEHICLE_NOISE.soldBeforeAssistance && i < 1000; i++) {
    const a = p.pick(cases);
    if (used.has(a) || a.periodFrom < '2015-06-01') continue;
    used.add(a);
    const seller = living.get(a.recipientId)!.member.person;
    const registered = dayBetween(p, addDays(a.periodFrom, -3000), addDays(a.periodFrom, -800))!;
    const sold = dayBetween(p, addDays(a.periodFrom, -700), addDays(a.periodFrom, -30))!;
    vehicles.push(...sale(newVehicle(seller, a.householdId, registered), buyerFor(seller.id), sold));
    n++;
  }
  // Bought second-hand after the allowance ended.
  for (let n = 0, i = 0; n < VEHICLE_NOISE.boughtAfterAssistance && i < 1000; i++) {
    const a = p.pick(cases);
    if (used.has(a) || a.periodTo === null || a.periodTo > '2022-06-30') continue;
    used.add(a);
    const buyer = living.get(a.recipientId)!.member.person;
    const seller = buyerFor(buyer.id);
    const registered = dayBetween(p, addDays(a.periodTo, -2500), addDays(a.periodTo, -400))!;
    const bought = dayBetween(p, addDays(a.periodTo, 30), addDays(a.periodTo, 500))!;
    vehicles.push(...sale(newVehicle(seller, living.get(seller.id)!.householdId, registered), buyer, bought));
    n++;
  }
  return { ...world, vehicles };
}
