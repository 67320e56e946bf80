import { AUDIT_ACTIONS, checkAuditEntry, type AuditAction, type AuditDetails } from '../../../proto/audit-entry';
import type { AuditLogEntry } from '../../../proto/audit-log';
import { canonicalJson } from '../../../proto/canonical-json';
import type { Tx } from '../../db/client';
import type { AuditWriter } from './commitments';
import { appendLogEntries, type LogEntryRow } from './log-store';

export { AUDIT_ACTIONS, type AuditAction };
export { createAuditWriter, type AuditWriter } from './commitments';

/**
 * The only writer of the audit log (an RFC 9162 Merkle tree, see log-store.ts). It takes a
 * transaction, not a database, so an entry can only be written together with the change it
 * records: both commit or neither does, and the indices stay contiguous across replicas.
 *
 * Every entry is checked against its action's format in the contract (proto/audit-entry.ts)
 * before it is written; one that does not match is a programming error and throws, rolling the
 * caller's transaction back. Details never carry tokens, warrants or result plaintext. Subject
 * ids and case references appear only as keyed commitments made here with the caller's writer
 * (commitments.ts): an `inquiry.submitted` entry gets them from `committed`, and free-text
 * `reason` members have any id they quote replaced.
 */

export interface AuditActor {
  userId: string;
  unitId: string;
}

/** What the writer turns into `details.commitments` of an `inquiry.submitted` entry. */
export interface CommittedValues {
  caseReference: string;
  subjectIds: readonly string[];
}

/** One entry to append: the action's details as its schema says, less what the writer adds. */
export type AuditEntry = {
  [A in AuditAction]: {
    action: A;
    /** The user who acted; absent for the gateway itself (the fan-out worker, the expiry sweep, a start). */
    actor?: AuditActor;
    inquiryId?: string;
    requestId?: string;
  } & (A extends 'inquiry.submitted'
    ? { details: Omit<AuditDetails<A>, 'commitments'>; committed: CommittedValues }
    : { details: AuditDetails<A>; committed?: never });
}[AuditAction];

/** An entry the contract's format refuses: a bug in the code that wrote it, never the caller's input. */
export class AuditEntryRefused extends Error {
  override readonly name = 'AuditEntryRefused';
}

/** Appends one entry and returns its index in the log. */
export async function appendAudit(tx: Tx, entry: AuditEntry, writer: AuditWriter): Promise<number> {
  const [index] = await appendAuditEntries(tx, [entry], writer);
  return index!;
}

/** Appends several entries under one lock (one round trip per table): the batched path. */
export async function appendAuditEntries(tx: Tx, entries: readonly AuditEntry[], writer: AuditWriter, now: Date = new Date()): Promise<number[]> {
  const indices = await appendLogEntries(
    tx,
    entries.map((e) => toRow(e, writer, now)),
  );
  writer.appended?.(entries.map((e) => e.action));
  return indices;
}

function toRow(e: AuditEntry, writer: AuditWriter, now: Date): LogEntryRow {
  const details: Record<string, unknown> = { ...e.details };
  if (typeof details.reason === 'string') details.reason = writer.commitFreeText(details.reason);
  if (e.action === 'inquiry.submitted') {
    details.commitments = {
      key: writer.keyId,
      case: writer.commit('case', e.committed.caseReference),
      subjects: e.committed.subjectIds.map((id) => writer.commit('subject', id)),
    };
  }
  const value: AuditLogEntry = {
    v: 1,
    at: now.toISOString(),
    action: e.action,
    ...(e.actor ? { actor: { userId: e.actor.userId, unitId: e.actor.unitId } } : {}),
    ...(e.inquiryId ? { inquiryId: e.inquiryId } : {}),
    ...(e.requestId ? { requestId: e.requestId } : {}),
    details,
  };
  const checked = checkAuditEntry(value);
  if (!checked.ok) throw new AuditEntryRefused(`audit entry refused: ${checked.problem}`);
  const department = 'department' in checked.entry.details ? (checked.entry.details.department ?? null) : null;
  return { text: canonicalJson(value), action: e.action, inquiryId: e.inquiryId ?? null, department };
}
