import { asc, eq } from 'drizzle-orm';
import type { InquiryResults } from '../../../proto/api/results';
import { inquiryParts, results } from '../../db/schema';
import { ServiceError } from '../../errors';
import type { RequestContext } from '../context';
import { deriveInquiryStatus } from './derive-status';
import { findVisibleInquiry } from './find-visible-inquiry';

/** What each department has answered so far: metadata only, the ciphertext is downloaded per department. */
export async function listInquiryResults({ ctx, input }: { ctx: RequestContext; input: { id: string } }): Promise<InquiryResults> {
  const { row, resource } = await findVisibleInquiry(ctx, ctx.db, input.id);
  const verdict = ctx.policy.authorize(ctx.principal, 'result.read', resource);
  if (!verdict.allowed) throw new ServiceError('permission_denied', verdict.reason);

  const rows = await ctx.db
    .select({ part: inquiryParts, result: results })
    .from(inquiryParts)
    .leftJoin(results, eq(results.partId, inquiryParts.id))
    .where(eq(inquiryParts.inquiryId, row.id))
    .orderBy(asc(inquiryParts.department));
  return {
    inquiryId: row.id,
    status: deriveInquiryStatus(
      row.state,
      rows.map((r) => r.part),
    ),
    recipientUnit: row.unitId,
    results: rows.map(({ part, result }) => ({
      department: part.department,
      categories: part.categories,
      status: part.status,
      attempts: part.attempts,
      failureReason: part.failureReason,
      format: result?.format ?? null,
      records: result?.records ?? null,
      bytes: result?.bytes ?? null,
      sha256: result?.sha256 ?? null,
      warrantId: result?.warrantId ?? null,
      receipt: result?.receipt ?? null,
    })),
  };
}
