export { createVehicleAdministrationSource, VEHICLE_ADMINISTRATION, VEHICLE_ADMINISTRATION_CATEGORIES, VEHICLE_ADMINISTRATION_DISPLAY_NAME, vehicleAdministrationDemoSubjectIds } from './source';
