import { eq } from 'drizzle-orm';
import { canonicalJson } from '../../../proto/canonical-json';
import type { AuditLogEntry } from '../../../proto/audit-log';
import type { Tx } from '../../db/client';
import { inquiries } from '../../db/schema';
import { commit, commitmentKeyId, commitSensitive } from './commitments';
import { appendLogEntries, type LogEntryRow } from './log-store';

/**
 * The only writer of the audit log (an RFC 9162 Merkle tree, see log-store.ts). It takes a
 * transaction, not a database, so an entry can only be written together with the change it
 * records: both commit or neither does, and the indices stay contiguous across replicas.
 *
 * Details must not carry tokens or result plaintext. Subject ids and case references are turned
 * into keyed commitments here, whatever the caller passed (commitments.ts); an 'inquiry.submitted'
 * entry gains the commitments to its inquiry's case reference and subjects.
 */
export const AUDIT_ACTIONS = [
  'inquiry.submitted',
  'inquiry.approved',
  'inquiry.rejected',
  'inquiry.approval_added', 'inquiry.withdrawn', 'inquiry.expired',
  'authorization.denied',
  'warrant.issued',
  'department.answered',
  'part.failed',
  'result.downloaded',
  'policy.changed',
  'keys.changed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditActor {
  userId: string;
  unitId: string;
}

export interface AuditEntry {
  action: AuditAction;
  /** The user who acted; absent for the gateway itself (the fan-out worker). */
  actor?: AuditActor;
  inquiryId?: string;
  requestId?: string;
  details: Record<string, unknown>;
}

/** Appends one entry and returns its index in the log. */
export async function appendAudit(tx: Tx, entry: AuditEntry): Promise<number> {
  const [index] = await appendAuditEntries(tx, [entry]);
  return index!;
}

/** Appends several entries under one lock (one round trip per table): the batched path. */
export async function appendAuditEntries(tx: Tx, entries: readonly AuditEntry[], now: Date = new Date()): Promise<number[]> {
  const rows: LogEntryRow[] = [];
  for (const e of entries) rows.push(await toRow(tx, e, now));
  return appendLogEntries(tx, rows);
}

async function toRow(tx: Tx, e: AuditEntry, now: Date): Promise<LogEntryRow> {
  let details = commitSensitive(e.details);
  if (e.action === 'inquiry.submitted' && e.inquiryId) {
    const [inquiry] = await tx
      .select({ caseReference: inquiries.caseReference, subjects: inquiries.subjects })
      .from(inquiries)
      .where(eq(inquiries.id, e.inquiryId));
    if (inquiry) {
      details = {
        ...details,
        commitments: {
          key: commitmentKeyId(),
          case: commit('case', inquiry.caseReference),
          subjects: (inquiry.subjects as { id: string }[]).map((s) => commit('subject', s.id)),
        },
      };
    }
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
  const department = typeof details.department === 'string' ? details.department : null;
  return { text: canonicalJson(value), action: e.action, inquiryId: e.inquiryId ?? null, department };
}
