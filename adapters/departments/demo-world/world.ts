import { generateWorld } from './generated';
import { liFamilyWorld } from './li-family';
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

/** The whole demo world, built once (deterministic: the same on every run). */
export const demoWorld: DemoWorld = (() => {
  const generated = generateWorld();
  return {
    households: [...liFamilyWorld.households, ...generated.households],
    grassland: [...liFamilyWorld.grassland, ...generated.grassland],
    properties: [...liFamilyWorld.properties, ...generated.properties],
  };
})();
