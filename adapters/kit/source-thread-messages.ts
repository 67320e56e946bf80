import type { WarrantClaims } from '../../proto/warrant';

/** What builds the source on the worker: `module`'s export `exportName`, called with `options` (structured-cloneable). */
export interface SourceWorkerData {
  module: string;
  exportName: string;
  options?: unknown;
}

/** What the adapter's thread sends: an answer to make, or leave to send `credit` more pieces of it. */
export type ToWorker = { kind: 'answer'; claims: WarrantClaims; credit: number } | { kind: 'credit'; credit: number };

/** What the worker sends back: pieces of NDJSON (the buffer is transferred), then the end or an error. */
export type FromWorker =
  | { kind: 'bytes'; bytes: ArrayBuffer; length: number; records: number }
  | { kind: 'end' }
  | { kind: 'error'; code: string; name: string; message: string };
