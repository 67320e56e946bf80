export { startAdapter, type RunningAdapter, type StartAdapterOptions } from './server';
export { assertValidSource, RESERVED_FIELDS, type DataSource } from './data-source';
export { checkClientIdentity, checkScope, checkWarrant, MAX_WARRANT_SUBJECTS } from './checks';
export { collectRecords, projectRecord, type ResultRecord } from './project';
export { MAX_CHUNK_BYTES, splitChunks, trailerFor } from './stream';
export { Refusal, REFUSAL_METADATA_KEY, REFUSALS, type RefusalCode } from './refusal';
