import type { Prng } from './prng';
import type { DemoMember, DemoWorld } from './types';

/** Date helpers of the noise modules: ISO dates (YYYY-MM-DD) compare as strings. */
export const pad = (n: number, width = 2) => String(n).padStart(width, '0');
export const addDays = (iso: string, days: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** A day in [from, to], or null when the range is empty. */
export function dayBetween(p: Prng, from: string, to: string): string | null {
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
  return days < 0 ? null : addDays(from, p.int(0, days));
}

/** The members of the world's households who are alive (the noise never gives the dead a new car, stake or home). */
export function livingMembers(world: DemoWorld): Map<string, { member: DemoMember; householdId: string }> {
  const living = new Map<string, { member: DemoMember; householdId: string }>();
  for (const h of world.households) for (const m of h.members) if (!m.died) living.set(m.person.id, { member: m, householdId: h.id });
  return living;
}
