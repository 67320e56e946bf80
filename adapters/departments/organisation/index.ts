export { createOrganisationSource, ORGANISATION, ORGANISATION_CATEGORIES, ORGANISATION_DISPLAY_NAME, organisationDemoSubjectIds } from './source';
