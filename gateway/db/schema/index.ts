export * from './units';
export * from './users';
export * from './inquiries';
export * from './inquiry-decisions';
export * from './inquiry-parts';
export * from './results';
export * from './audit-events';
export * from './audit-log';
