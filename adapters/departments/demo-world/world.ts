import { generateWorld } from './generated';
import { addNoise } from './noise';
import { addAddressNoise } from './noise-addresses';
import { addMergerNoise } from './noise-mergers';
import { addVehicleNoise } from './noise-vehicles';
import { liFamilyWorld } from './li-family';
import { plantedWorld } from './planted';
import { deriveRecords } from './records';
import type { DemoWorld } from './types';

export * from './types';
export {
  ELDER_SON_HOUSEHOLD,
  LI,
  LI_HOUSEHOLD,
  LI_SON_ELDER,
  LI_SON_ELDER_WIFE,
  LI_SON_YOUNGER,
  LI_SON_YOUNGER_WIFE,
  LI_WIFE,
  MUHUDUNBAO_COOPERATIVE,
  YOUNGER_SON_HOUSEHOLD,
} from './li-family';
export { LOOKALIKES, PLANTED } from './planted';
export { DEATHS } from './noise';
export { ADDRESS_NOISE, ADDRESS_VARIANTS } from './noise-addresses';
export { MERGER_NOISE } from './noise-mergers';
export { VEHICLE_NOISE } from './noise-vehicles';
export { VILLAGE_RENAMES, villageCode } from './places';

/**
 * The whole demo world, deterministic (the same on every build and every run; `demoWorld` is
 * built once): the Li family, the planted cases with their look-alikes, and the generated population with its ordinary records
 * and its noise (deaths, renamed villages: `noise.ts`; then vehicles scrapped or sold, enterprises
 * merged or deregistered, homes written differently: `noise-vehicles.ts`, `noise-mergers.ts`,
 * `noise-addresses.ts`, each from its own seed and sparing the dead).
 */
export function buildDemoWorld(): DemoWorld {
  const written = [liFamilyWorld, plantedWorld];
  const generated = generateWorld({
    ids: written.flatMap((w) => w.households.flatMap((h) => h.members.map((m) => m.person.id))),
    households: written.flatMap((w) => w.households.map((h) => h.id)),
  });
  const derived = deriveRecords(generated);
  const parts: DemoWorld[] = [...written, addAddressNoise(addMergerNoise(addVehicleNoise(addNoise({ ...generated, ...derived }))))];
  const keys = ['households', 'grassland', 'properties', 'subsidies', 'assistance', 'enterprises', 'vehicles', 'officials'] as const;
  return Object.fromEntries(keys.map((k) => [k, parts.flatMap((w) => w[k] as unknown[])])) as unknown as DemoWorld;
}

export const demoWorld: DemoWorld = buildDemoWorld();
