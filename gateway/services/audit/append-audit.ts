import { AUDIT_ACTIONS, checkAuditEntry, type AuditAction, type AuditDetails } from '../../../proto/audit-entry';
import type { AuditLogEntry } from '../../../proto/audit-log';
import { canonicalJson } from '../../../proto/canonical-json';
import { sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client';
import type { AuditWriter } from './commitments';
import { appendLogEntries, auditAppendCall, runAudited, type LogEntryRow } from './log-store';

export { AUDIT_ACTIONS, type AuditAction };
export { createAuditWriter, type AuditWriter } from './commitments';

/**
 * The only writer of the audit log (an RFC 9162 Merkle tree, see log-store.ts). It takes a
 * transaction, not a database — or gives the append as an expression of the one statement that
 * makes the change (`auditAppendOf`) — so an entry can only be written together with the change it
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

/** The rows a statement answered: both drivers (node-postgres, PGlite) answer a raw query with `{ rows }`. */
type Rows<R> = R[];

/**
 * The entries as the append expression of ONE statement that also makes the change they record,
 * committed on its own (no transaction round trips around it). `execute(db, statement)` runs a
 * statement that selects `call` AS first (log-store `runAudited`: the frontier rebuilt and the
 * statement run again when it must), tells the writer when it appended, and answers its rows.
 * With `only`, just the entries whose key the subquery yields (log-store `auditAppendCall`);
 * `committed(appended)` then tells the writer which, once the statement succeeded.
 */
export function auditAppendOf(
  entries: readonly AuditEntry[],
  writer: AuditWriter,
  now: Date = new Date(),
  only?: { keys: readonly string[]; in: SQL },
): { call: SQL; execute<R>(db: Db, statement: SQL): Promise<Rows<R>>; committed(appended: readonly AuditEntry[]): void } {
  const call = auditAppendCall(
    entries.map((e) => toRow(e, writer, now)),
    only,
  );
  const committed = (appended: readonly AuditEntry[]) => writer.appended?.(appended.map((e) => e.action));
  return {
    call,
    async execute<R>(db: Db, statement: SQL) {
      const { rows } = (await runAudited(db, () => db.execute(statement))) as unknown as { rows: Rows<R & { first?: string | number | null }> };
      // The statement selects `call` AS first: NULL when it appended nothing (a fence that did not hold).
      if (!only && rows[0]?.first != null) committed(entries);
      return rows;
    },
    committed,
  };
}

/** Appends entries that record nothing else (a download, a refusal count) in one statement, committed on its own. */
export async function appendAuditAlone(db: Db, entries: readonly AuditEntry[], writer: AuditWriter, now: Date = new Date()): Promise<void> {
  const append = auditAppendOf(entries, writer, now);
  await append.execute(db, sql`SELECT ${append.call} AS first`);
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
