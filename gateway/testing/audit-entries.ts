import { randomUUID } from 'node:crypto';
import type { AuditAction, AuditDetails } from '../../proto/audit-entry';
import vector from '../../proto/vectors/audit-entries-v1.json';
import type { AuditEntry } from '../services/audit/append-audit';

/**
 * A valid entry of `action` to append in a test: the contract's example of that action
 * (proto/vectors/audit-entries-v1.json) with the test's own inquiry id and details merged in.
 * Tests that append directly use it so that what they append is what the gateway could write.
 */
export function exampleAuditEntry<A extends AuditAction>(
  action: A,
  overrides: { inquiryId?: string; actor?: { userId: string; unitId: string }; details?: Partial<AuditDetails<A>> } = {},
): AuditEntry {
  const text = vector.entries.map((e) => e.entry).find((e) => JSON.parse(e).action === action);
  if (!text) throw new Error(`the audit vector has no example of ${action}`);
  const example = JSON.parse(text) as { actor?: { userId: string; unitId: string }; inquiryId?: string; requestId?: string; details: Record<string, unknown> };
  const { commitments: _, ...details } = { ...example.details, ...overrides.details } as Record<string, unknown>;
  const entry = {
    action,
    ...(example.actor || overrides.actor ? { actor: overrides.actor ?? example.actor } : {}),
    ...(example.inquiryId ? { inquiryId: overrides.inquiryId ?? randomUUID() } : {}),
    ...(example.requestId ? { requestId: randomUUID() } : {}),
    details: action === 'inquiry.submitted' ? details : { ...example.details, ...overrides.details },
    ...(action === 'inquiry.submitted' ? { committed: { caseReference: `CASE-${randomUUID()}`, subjectIds: ['150627196803120034'] } } : {}),
  };
  return entry as unknown as AuditEntry;
}
