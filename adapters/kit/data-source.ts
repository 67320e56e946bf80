import type { WarrantSubject } from '../../proto/warrant';
import type { NdjsonBatch } from './project';

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
   * Optional, for a source whose answers are large: the same answer as `lookup` already written as
   * the NDJSON lines the kit's projection would make of it (`createLineWriter` in project.ts:
   * `prefix` — `{"category":…,"subject":…` — then `,"field":value` for each of `fields` in that
   * order, null for one the source does not have, then `}` and a newline), generated and serialised
   * in one pass; `fields` are always among those the category serves (the kit checks the warrant's
   * scope first). Undefined lets the kit project `lookup`'s records. A source that offers it is
   * trusted to write exactly those lines: its tests must compare the two (the bank's do).
   */
  lookupNdjson?(category: string, subject: WarrantSubject, fields: readonly string[], prefix: string): AsyncIterable<NdjsonBatch> | undefined;
}

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
