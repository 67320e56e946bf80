export { startAdapter, type RunningAdapter, type StartAdapterOptions } from './server';
export { assertValidSource, RESERVED_FIELDS, type DataSource, type SourceRecord } from './data-source';
export { checkClientIdentity, checkNotReplayed, checkRecipientKey, checkScope, checkWarrant, MAX_WARRANT_SUBJECTS } from './checks';
export { collectRecords, createLineWriter, projectedBatches, projectRecord, type NdjsonBatch, type ResultRecord } from './project';
export { streamAnswer, writeFrame } from './stream';
export { createWarrantKeySource, type WarrantKeySource } from './warrant-keys';
export { openServedLog, type ServedLog, type ServedLogEntry } from './served-log';
export { Refusal, REFUSAL_METADATA_KEY, REFUSALS, type RefusalCode } from './refusal';
