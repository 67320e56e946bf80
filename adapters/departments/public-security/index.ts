export {
  createPublicSecuritySource,
  PUBLIC_SECURITY,
  PUBLIC_SECURITY_CATEGORIES,
  PUBLIC_SECURITY_DISPLAY_NAME,
  publicSecurityDemoSubjectIds,
} from './source';
