import type { WarrantClaims, WarrantSubject } from '../../proto/warrant';

/**
 * What a department plugs into the kit: the categories it serves with their fields, and a lookup
 * in its own data. The kit never trusts a source to return only allowed fields: whatever a
 * lookup returns is projected to the fields the warrant names before it is encrypted.
 */
export interface DataSource {
  /** Category → the fields this department can return for it. */
  categories: Record<string, readonly string[]>;
  /**
   * The records of one category about one subject; [] when there are none. A source with many
   * records returns an AsyncIterable of batches (arrays of about a hundred records, some tens of
   * KiB: a batch is alive while gRPC's back-pressure holds it, and large ones end up in the old
   * generation of the heap): the kit projects, serialises and encrypts each batch as it comes. Batches,
   * not one record per `await`: the per-record round trip through an async iterator cost more
   * than the encryption (README, "Performance").
   */
  lookup(category: string, subject: WarrantSubject): Promise<readonly SourceRecord[]> | AsyncIterable<readonly SourceRecord[]>;
  /**
   * Whether the source can answer now (a connection, a query of one row): resolves when it can,
   * rejects when not. Checked at start and then every few seconds; while it fails, the adapter's
   * gRPC health says NOT_SERVING and its /ready 503. Absent: always healthy (in-memory sources).
   */
  health?(): Promise<void>;
  /**
   * Set by `withSourceThreads` (source-threads.ts): the warrant's lookups projected and serialised
   * on a worker thread, or null when none is free (then the kit does it on this thread).
   */
  projectedElsewhere?(claims: WarrantClaims): AsyncIterable<NdjsonBatch> | null;
}

/**
 * Projected records of one source batch as NDJSON text, and how many lines it holds; or, from a
 * source's worker thread (source-threads.ts), the same lines already as UTF-8 bytes.
 */
export type NdjsonBatch = { text: string; records: number } | { bytes: Uint8Array; records: number };

/** One record as a source returns it: any fields, internal ones included; the kit projects it. */
export type SourceRecord = Record<string, unknown>;

/** Names the kit adds to every record; a source may not serve fields called like this. */
export const RESERVED_FIELDS = ['category', 'subject'] as const;

/** Fail fast at start on a source that could never answer correctly. */
export function assertValidSource(source: DataSource): void {
  const entries = Object.entries(source.categories);
  if (entries.length === 0) throw new Error('data source serves no categories');
  for (const [category, fields] of entries) {
    if (fields.length === 0) throw new Error(`category ${category} has no fields`);
    const reserved = fields.filter((f) => (RESERVED_FIELDS as readonly string[]).includes(f));
    if (reserved.length > 0) throw new Error(`category ${category} serves reserved field(s) ${reserved.join(', ')}`);
  }
}

/** A source that answers with arrays (small departments): what its tests can index and filter. */
export type ArrayDataSource = Omit<DataSource, 'lookup'> & {
  lookup(category: string, subject: WarrantSubject): Promise<Record<string, unknown>[]>;
};
