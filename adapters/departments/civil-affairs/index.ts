export { createCivilAffairsSource, CIVIL_AFFAIRS, CIVIL_AFFAIRS_CATEGORIES, CIVIL_AFFAIRS_DISPLAY_NAME, civilAffairsDemoSubjectIds } from './source';
