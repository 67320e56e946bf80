import type { WarrantClaims, WarrantSubject } from '../../proto/warrant';
import type { DataSource, NdjsonBatch, SourceRecord } from './data-source';
import { Refusal } from './refusal';

export type ResultRecord = { category: string; subject: string } & Record<string, unknown>;

/**
 * Exactly the warrant's fields, in the warrant's order, plus `category` and `subject`. A field the
 * source left out becomes null, so every record of a category has the same shape; anything else
 * the source returned is dropped here.
 */
export function projectRecord(
  category: string,
  subject: WarrantSubject,
  fields: readonly string[],
  record: SourceRecord,
): ResultRecord {
  const projected: ResultRecord = { category, subject: subject.id };
  for (const field of fields) {
    const value = Object.hasOwn(record, field) ? record[field] : undefined;
    projected[field] = value === undefined ? null : value;
  }
  return projected;
}

const STRING_CACHE_ENTRIES = 256;

/**
 * The NDJSON line of a projected record, written straight from the source's record: the same
 * text as `JSON.stringify(projectRecord(…)) + "\n"` (a value JSON cannot hold, such as a
 * function, becomes null too), without building the projected object first. The constant
 * parts — `{"category":…,"subject":…` and each `,"field":` — are serialised once per lookup.
 */
export function createLineWriter(category: string, subject: WarrantSubject, fields: readonly string[]): (record: SourceRecord) => string {
  const prefix = `{"category":${JSON.stringify(category)},"subject":${JSON.stringify(subject.id)}`;
  const keys = fields.map((field) => `,${JSON.stringify(field)}:`);
  const n = fields.length;
  // A field's string values, serialised once while they repeat (a bank's channels, memos and
  // counterparties come from short lists); a field whose values do not repeat stops being cached.
  const caches = fields.map(() => new Map<string, string>() as Map<string, string> | null);
  const misses = fields.map(() => 0);
  return (record) => {
    let line = prefix;
    for (let i = 0; i < n; i++) {
      const field = fields[i]!;
      const value = Object.hasOwn(record, field) ? record[field] : undefined;
      let json: string | undefined;
      const cache = caches[i]!;
      if (typeof value === 'string' && cache !== null) {
        json = cache.get(value);
        if (json === undefined) {
          json = JSON.stringify(value);
          if (cache.size < STRING_CACHE_ENTRIES) cache.set(value, json);
          else if (++misses[i]! > STRING_CACHE_ENTRIES) caches[i] = null;
        }
      } else json = value === undefined ? 'null' : (JSON.stringify(value) ?? 'null');
      line += keys[i]! + json;
    }
    return `${line}}\n`;
  };
}

export type { NdjsonBatch } from './data-source';

/** The lookups of a warrant, subject-major in warrant order: each distinct subject in each category. */
async function* lookups(claims: WarrantClaims, source: DataSource) {
  const seen = new Set<string>();
  for (const subject of claims.subjects) {
    const key = `${subject.kind}:${subject.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const [category, fields] of Object.entries(claims.categories)) {
      let found: Awaited<ReturnType<DataSource['lookup']>>;
      try {
        found = await source.lookup(category, subject);
      } catch (error) {
        throw new Refusal('source_failed', undefined, { cause: error });
      }
      yield { category, subject, fields, batches: isBatchStream(found) ? found : [found] };
    }
  }
}

function isBatchStream(found: unknown): found is AsyncIterable<readonly SourceRecord[]> {
  return typeof (found as AsyncIterable<unknown>)?.[Symbol.asyncIterator] === 'function';
}

/** Iterates a source's batches; an error thrown by the source becomes a source_failed refusal. Stopping early stops the source. */
async function* guarded<T>(batches: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  const it: AsyncIterator<T> | Iterator<T> = Symbol.asyncIterator in batches ? batches[Symbol.asyncIterator]() : batches[Symbol.iterator]();
  let ended = false;
  try {
    for (;;) {
      let next: IteratorResult<T>;
      try {
        next = await it.next();
      } catch (error) {
        ended = true;
        throw new Refusal('source_failed', undefined, { cause: error });
      }
      if (next.done) {
        ended = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!ended) await it.return?.();
  }
}

/**
 * Look every subject up in every category of the warrant: NDJSON batch by batch, as the source
 * yields them — on the source's worker thread when it has a free one (source-threads.ts).
 */
export async function* projectedBatches(claims: WarrantClaims, source: DataSource): AsyncGenerator<NdjsonBatch> {
  const elsewhere = source.projectedElsewhere?.(claims);
  if (elsewhere) yield* elsewhere;
  else yield* projectedHere(claims, source);
}

/** `projectedBatches` on this thread. */
export async function* projectedHere(claims: WarrantClaims, source: DataSource): AsyncGenerator<{ text: string; records: number }> {
  for await (const { category, subject, fields, batches } of lookups(claims, source)) {
    const line = createLineWriter(category, subject, fields);
    for await (const batch of guarded(batches)) {
      if (batch.length === 0) continue;
      let text = '';
      for (const record of batch) text += line(record);
      yield { text, records: batch.length };
    }
  }
}

/** All projected records in an array: for tests and small sources. */
export async function collectRecords(claims: WarrantClaims, source: DataSource): Promise<ResultRecord[]> {
  const out: ResultRecord[] = [];
  for await (const { category, subject, fields, batches } of lookups(claims, source)) {
    for await (const batch of guarded(batches)) for (const record of batch) out.push(projectRecord(category, subject, fields, record));
  }
  return out;
}
