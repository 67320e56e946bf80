import { creditCodeProblem, residentIdProblem, type Subject } from '../../proto/subjects';
import type { DecryptedRecord } from './results';

/**
 * Follow-up inquiries (二次查询): from a decrypted answer, the persons and organisations it names —
 * household members, heads, legal representatives, shareholders, the enterprises a person is in,
 * the entity a merged one was merged into, whoever a vehicle was sold to.
 * Picked here, on the client, from plaintext: the gateway sees only the new subjects and the
 * parent's id, never which records or relations they came from.
 */

type Pick = (record: DecryptedRecord) => unknown[];
const person = (v: unknown) => ({ kind: 'person' as const, id: v });
const organisation = (v: unknown) => ({ kind: 'organisation' as const, id: v });

/** Category → the subjects a record of it names. */
export const RELATED_SUBJECTS: Readonly<Record<string, Pick>> = {
  household: (r) => [person(r.head_id)],
  household_members: (r) => [person(r.member_id)],
  enterprises: (r) => [
    organisation(r.credit_code),
    // 因合并注销: the absorbing entity, where the merged one's holders hold their stakes now.
    organisation(r.merged_into),
    person(r.legal_rep_id),
    ...(Array.isArray(r.shareholders) ? r.shareholders.map((s) => person((s as { holder_id?: unknown }).holder_id)) : []),
  ],
  subsidies: (r) => [person(r.recipient_id)],
  social_assistance: (r) => [person(r.recipient_id)],
  // 转移登记: the buyer of a vehicle the subject sold.
  vehicles: (r) => [person(r.owner_id), person(r.transferred_to)],
  public_officials: (r) => [person(r.person_id)],
};

export class FollowUpError extends Error {
  override readonly name = 'FollowUpError';
}

/**
 * The subjects that records of the `from` categories name, in the order they appear, without
 * the parent's own subjects, each with a valid identifier (a person's resident ID, an
 * organisation's credit code; anything else is skipped). `only` keeps just those ids.
 */
export function relatedSubjects(records: readonly DecryptedRecord[], from: readonly string[], parentSubjects: readonly Subject[], only?: readonly string[]): Subject[] {
  for (const category of from) {
    if (!RELATED_SUBJECTS[category]) throw new FollowUpError(`--from ${category}: no relation to follow in it; categories that name persons or organisations: ${Object.keys(RELATED_SUBJECTS).join(', ')}`);
  }
  const seen = new Set(parentSubjects.map((s) => `${s.kind}:${s.id}`));
  const out: Subject[] = [];
  for (const record of records) {
    if (!from.includes(String(record.category))) continue;
    for (const candidate of RELATED_SUBJECTS[String(record.category)]!(record)) {
      const { kind, id } = candidate as { kind: Subject['kind']; id: unknown };
      if (typeof id !== 'string') continue;
      const problem = kind === 'person' ? residentIdProblem(id) : creditCodeProblem(id);
      const key = `${kind}:${id}`;
      if (problem || seen.has(key) || (only && !only.includes(id))) continue;
      seen.add(key);
      out.push({ kind, id } as Subject);
    }
  }
  return out;
}
