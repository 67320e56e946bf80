import type { ArrayDataSource } from '../../kit/data-source';
import { demoWorld, villageCode, type DemoGrasslandContract, type DemoProperty, type DemoWorld } from '../demo-world/world';

export const NATURAL_RESOURCES = 'natural_resources';
export const NATURAL_RESOURCES_DISPLAY_NAME = '内蒙古自治区自然资源厅 Natural Resources Department (real estate and grassland)';

/** What this department serves; matches policies/categories.json. */
export const NATURAL_RESOURCES_CATEGORIES = {
  real_estate: ['property_id', 'address', 'area_m2', 'use', 'registered_at'],
  grassland_contracts: ['contract_id', 'village', 'village_code', 'area_mu', 'contracted_at', 'term_years'],
} as const satisfies Record<string, readonly string[]>;

function group<T extends { holderId: string }>(items: readonly T[]): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) map.set(item.holderId, [...(map.get(item.holderId) ?? []), item]);
  return map;
}

/**
 * Registered real estate rights (不动产登记) by right holder, person or organisation, and
 * contracted grassland (草原承包经营权) by contractor. Internal columns (parcel numbers,
 * mortgages) stay in the department: the kit projects them away.
 */
export function createNaturalResourcesSource(world: DemoWorld = demoWorld): ArrayDataSource {
  const properties = group<DemoProperty>(world.properties);
  const contracts = group<DemoGrasslandContract>(world.grassland);

  return {
    categories: NATURAL_RESOURCES_CATEGORIES,
    async lookup(category, subject) {
      if (category === 'real_estate') {
        return (properties.get(subject.id) ?? []).map((p) => ({
          property_id: p.propertyId,
          address: p.address,
          area_m2: p.areaM2,
          use: p.use,
          registered_at: p.registeredAt,
          mortgaged: p.mortgaged,
        }));
      }
      if (category === 'grassland_contracts' && subject.kind === 'person') {
        return (contracts.get(subject.id) ?? []).map((c) => ({
          contract_id: c.contractId,
          // As the contract was written (a village renamed since keeps its old name here); the code stays.
          village: c.village,
          village_code: villageCode(c.village),
          area_mu: c.areaMu,
          contracted_at: c.contractedAt,
          term_years: c.termYears,
          parcel_no: c.parcelNo,
        }));
      }
      return [];
    },
  };
}

/** Every right holder and contractor in the demo data (persons and organisations). */
export const naturalResourcesDemoSubjectIds: readonly string[] = [
  ...new Set([...demoWorld.properties.map((p) => p.holderId), ...demoWorld.grassland.map((c) => c.holderId)]),
];
