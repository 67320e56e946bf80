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

/** Look every subject up in every category of the warrant: subject-major, warrant order. */
export async function collectRecords(claims: WarrantClaims, source: DataSource): Promise<ResultRecord[]> {
  const seen = new Set<string>();
  const out: ResultRecord[] = [];
  for (const subject of claims.subjects) {
    const key = `${subject.kind}:${subject.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const [category, fields] of Object.entries(claims.categories)) {
      let found: Record<string, unknown>[];
      try {
        found = await source.lookup(category, subject);
      } catch (error) {
        throw new Refusal('source_failed', undefined, { cause: error });
      }
      for (const record of found) out.push(projectRecord(category, subject, fields, record));
    }
  }
  return out;
}
