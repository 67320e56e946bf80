import type { Tx } from '../../db/client';
import { auditEvents } from '../../db/schema';

/**
 * The only writer of audit_events. It takes a transaction, not a database, so an entry can only
 * be written together with the change it records: both commit or neither does. (The Merkle log
 * replaces the storage behind this function; callers stay as they are.)
 *
 * Details must not carry subject ids, tokens or result plaintext: the log is read by auditors
 * and, through its proofs, by departments.
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

/** Appends one entry and returns its sequence number. */
export async function appendAudit(tx: Tx, entry: AuditEntry): Promise<number> {
  const [row] = await tx
    .insert(auditEvents)
    .values({
      action: entry.action,
      actorUserId: entry.actor?.userId ?? null,
      actorUnitId: entry.actor?.unitId ?? null,
      inquiryId: entry.inquiryId ?? null,
      requestId: entry.requestId ?? null,
      details: entry.details,
    })
    .returning({ id: auditEvents.id });
  return row!.id;
}
