import { asc, eq } from 'drizzle-orm';
import type { InquiryWarrants } from '../../../proto/api';
import { inquiryParts, warrants } from '../../db/schema';
import { ServiceError } from '../../errors';
import { appendAuditAlone, type AuditEntry } from '../audit/append-audit';
import type { RequestContext } from '../context';
import { findInquiry, inquiryNotFound } from '../inquiry/find-visible-inquiry';

/**
 * The warrants issued for an inquiry, as sent: the evidence of exactly what each department was
 * asked. The requesting unit's investigators and auditors read all of them; a department's
 * operator those of its own department. Each warrant served is audited (`warrant.read`), since a
 * warrant names the subjects: who looked at them is on the record, as for a result download.
 * Someone who may read neither the warrants nor the inquiry is answered as if it did not exist.
 */
export async function listInquiryWarrants({ ctx, input }: { ctx: RequestContext; input: { id: string } }): Promise<InquiryWarrants> {
  const found = await findInquiry(ctx.db, input.id, { now: ctx.clock(), ancestry: ctx.directory.ancestry });
  if (!found) throw inquiryNotFound();
  const { row, resource } = found;
  const allowed = (department: string | null) =>
    ctx.policy.authorize(ctx.principal, 'warrant.read', { kind: 'warrants', inquiryUnitPath: resource.unitPath, department });

  const whole = allowed(null);
  let departments: Set<string> | null = null; // null: every department's
  if (!whole.allowed) {
    const parts = await ctx.db.select({ department: inquiryParts.department }).from(inquiryParts).where(eq(inquiryParts.inquiryId, row.id));
    departments = new Set(parts.map((p) => p.department).filter((d) => allowed(d).allowed));
    if (departments.size === 0) {
      if (!ctx.policy.authorize(ctx.principal, 'inquiry.read', resource).allowed) throw inquiryNotFound();
      throw new ServiceError('permission_denied', whole.reason);
    }
  }

  const rows = (
    await ctx.db.select().from(warrants).where(eq(warrants.inquiryId, row.id)).orderBy(asc(warrants.department), asc(warrants.attempt))
  ).filter((w) => departments === null || departments.has(w.department));
  if (rows.length > 0) {
    const actor = { userId: ctx.principal.userId, unitId: ctx.principal.unitId };
    const entries: AuditEntry[] = rows.map((w) => ({
      action: 'warrant.read',
      actor,
      inquiryId: row.id,
      requestId: ctx.requestId,
      details: { department: w.department, partId: w.partId, warrantId: w.warrantId, sha256: w.sha256 },
    }));
    await appendAuditAlone(ctx.db, entries, ctx.audit);
  }
  return {
    inquiryId: row.id,
    warrants: rows.map((w) => ({
      department: w.department,
      warrantId: w.warrantId,
      attempt: w.attempt,
      issuedAt: w.issuedAt.toISOString(),
      expiresAt: w.expiresAt.toISOString(),
      sha256: w.sha256,
      warrant: w.jws,
    })),
  };
}
