export {
  createNaturalResourcesSource,
  NATURAL_RESOURCES,
  NATURAL_RESOURCES_CATEGORIES,
  NATURAL_RESOURCES_DISPLAY_NAME,
  naturalResourcesDemoSubjectIds,
} from './source';
