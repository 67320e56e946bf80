import type { ArrayDataSource } from '../../kit/data-source';
import { groupBy } from '../demo-world/group';
import { demoWorld, type DemoWorld } from '../demo-world/world';

export const VEHICLE_ADMINISTRATION = 'vehicle_administration';
export const VEHICLE_ADMINISTRATION_DISPLAY_NAME = '内蒙古自治区公安厅交通管理局车辆管理所 Vehicle Administration (motor vehicle registration)';

/** What this department serves; matches policies/categories.json. */
export const VEHICLE_ADMINISTRATION_CATEGORIES = {
  vehicles: [
    'plate_no', 'owner_id', 'vehicle_type', 'brand', 'registered_at', 'owned_from', 'transferred_at', 'transferred_to', 'status', 'deregistered_at',
    'deregistration_reason',
  ],
} as const satisfies Record<string, readonly string[]>;

/**
 * Motor vehicles an owner holds or held, deregistered (注销) and sold (转移) ones included: a sale
 * shows on the seller's record (`transferred_at`, `transferred_to`) and starts the buyer's
 * (`owned_from`; `registered_at` stays the first registration). The VIN stays inside.
 */
export function createVehicleAdministrationSource(world: DemoWorld = demoWorld): ArrayDataSource {
  const byOwner = groupBy(world.vehicles, (v) => v.ownerId);
  return {
    categories: VEHICLE_ADMINISTRATION_CATEGORIES,
    async lookup(category, subject) {
      if (category !== 'vehicles') return [];
      return (byOwner.get(subject.id) ?? []).map((v) => ({
        plate_no: v.plateNo, owner_id: v.ownerId, vehicle_type: v.vehicleType, brand: v.brand, registered_at: v.registeredAt,
        owned_from: v.ownedFrom ?? v.registeredAt, transferred_at: v.transferredAt ?? null, transferred_to: v.transferredTo ?? null,
        status: v.status, deregistered_at: v.deregisteredAt, deregistration_reason: v.deregistrationReason ?? null, vin: v.vin,
      }));
    },
  };
}

export const vehicleAdministrationDemoSubjectIds: readonly string[] = [...new Set(demoWorld.vehicles.map((v) => v.ownerId))];
