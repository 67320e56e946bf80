import type { WarrantClaims, WarrantSubject } from '../../proto/warrant';
import type { DataSource } from './data-source';
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
  record: Record<string, unknown>,
): ResultRecord {
  const projected: ResultRecord = { category, subject: subject.id };
  for (const field of fields) {
    const value = Object.hasOwn(record, field) ? record[field] : undefined;
    projected[field] = value === undefined ? null : value;
  }
  return projected;
}

/** Look every subject up in every category of the warrant: subject-major, warrant order, streamed. */
export async function* projectedRecords(claims: WarrantClaims, source: DataSource): AsyncGenerator<ResultRecord> {
  const seen = new Set<string>();
  for (const subject of claims.subjects) {
    const key = `${subject.kind}:${subject.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const [category, fields] of Object.entries(claims.categories)) {
      try {
        const found = await source.lookup(category, subject);
        for await (const record of found) yield projectRecord(category, subject, fields, record);
      } catch (error) {
        throw new Refusal('source_failed', undefined, { cause: error });
      }
    }
  }
}

/** All of them in an array: for tests and small sources. */
export async function collectRecords(claims: WarrantClaims, source: DataSource): Promise<ResultRecord[]> {
  const out: ResultRecord[] = [];
  for await (const record of projectedRecords(claims, source)) out.push(record);
  return out;
}
