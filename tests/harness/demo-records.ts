import { DEMO_DEPARTMENTS } from '../../adapters/departments';
import type { DemoWorld } from '../../adapters/departments/demo-world/world';
import catalogue from '../../policies/categories.json';
import type { SourcedRecord } from '../../client/core/models';

/**
 * What the departments would answer about `subjects`, as the command line holds it after
 * decryption: each record cut to its catalogue fields (the kit's projection) with its ref.
 */
export async function demoRecords(subjects: Iterable<string>, inquiryId = 'demo'): Promise<SourcedRecord[]> {
  const records: SourcedRecord[] = [];
  const counts = new Map<string, number>();
  const ids = [...new Set(subjects)];
  for (const [category, entry] of Object.entries(catalogue.categories)) {
    if (entry.department === 'bank') continue;
    const source = DEMO_DEPARTMENTS[entry.department]!.createSource();
    for (const id of ids) {
      const kind = /^\d{17}[\dX]$/.test(id) ? 'person' : 'organisation';
      for (const found of (await source.lookup(category, { kind, id })) as Record<string, unknown>[]) {
        const n = (counts.get(entry.department) ?? 0) + 1;
        counts.set(entry.department, n);
        const record = { category, subject: id, ...Object.fromEntries(entry.fields.map((f) => [f, found[f] ?? null])) };
        records.push({ ref: `${inquiryId}/${entry.department}/${n}`, inquiryId, department: entry.department, record });
      }
    }
  }
  return records;
}

/** Everyone any department knows about. */
export function everyone(world: DemoWorld): Set<string> {
  const ids = new Set<string>();
  for (const h of world.households) for (const m of h.members) ids.add(m.person.id);
  for (const s of world.subsidies) ids.add(s.recipientId);
  for (const a of world.assistance) ids.add(a.recipientId);
  for (const v of world.vehicles) ids.add(v.ownerId);
  for (const o of world.officials) ids.add(o.personId);
  for (const e of world.enterprises) for (const id of [e.legalRepId, ...e.shareholders.map((s) => s.holderId)]) ids.add(id);
  for (const p of world.properties) ids.add(p.holderId);
  return ids;
}
