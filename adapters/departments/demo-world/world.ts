import { generateWorld } from './generated';
import { addNoise } from './noise';
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
export { VILLAGE_RENAMES, villageCode } from './places';

/**
 * The whole demo world, built once (deterministic: the same on every run): the Li family, the
 * planted cases with their look-alikes, and the generated population with its ordinary records
 * and its noise (deaths, renamed villages: `noise.ts`).
 */
export const demoWorld: DemoWorld = (() => {
  const written = [liFamilyWorld, plantedWorld];
  const generated = generateWorld({
    ids: written.flatMap((w) => w.households.flatMap((h) => h.members.map((m) => m.person.id))),
    households: written.flatMap((w) => w.households.map((h) => h.id)),
  });
  const derived = deriveRecords(generated);
  const parts: DemoWorld[] = [...written, addNoise({ ...generated, ...derived })];
  const keys = ['households', 'grassland', 'properties', 'subsidies', 'assistance', 'enterprises', 'vehicles', 'officials'] as const;
  return Object.fromEntries(keys.map((k) => [k, parts.flatMap((w) => w[k] as unknown[])])) as unknown as DemoWorld;
})();
