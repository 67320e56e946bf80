import { sql } from 'drizzle-orm';
import type { InquiryResults } from '../../../proto/api/results';
import type { PartStatus } from '../../db/schema';
import { ServiceError } from '../../errors';
import type { RequestContext } from '../context';
import { deriveInquiryStatus } from './derive-status';
import { inquiryReadWith, readVisibleInquiryWith } from './find-visible-inquiry';

type ResultSummary = InquiryResults['results'][number] & { status: PartStatus };

/** Each part of the enclosing inquiry with its stored result's metadata (nulls before one), by department. */
const partsWithResults = inquiryReadWith('qiao_inquiry_results', sql<ResultSummary[]>`coalesce((
  select json_agg(json_build_object('department', p.department, 'categories', p.categories, 'status', p.status, 'attempts', p.attempts,
    'failureReason', p.failure_reason, 'format', r.format, 'records', r.records, 'bytes', r.bytes, 'sha256', r.sha256,
    'warrantId', r.warrant_id, 'receipt', r.receipt) order by p.department)
  from inquiry_parts p left join results r on r.part_id = p.id where p.inquiry_id = "inquiries"."id"), '[]'::json)`);

/**
 * What each department has answered so far: metadata only, the ciphertext is downloaded per
 * department. One statement reads the inquiry, which authorizes it, and its parts' results.
 */
export async function listInquiryResults({ ctx, input }: { ctx: RequestContext; input: { id: string } }): Promise<InquiryResults> {
  const { row, resource, extra: parts } = await readVisibleInquiryWith(ctx, input.id, partsWithResults);
  const verdict = ctx.policy.authorize(ctx.principal, 'result.read', resource);
  if (!verdict.allowed) throw new ServiceError('permission_denied', verdict.reason);
  return {
    inquiryId: row.id,
    status: deriveInquiryStatus(row.state, parts),
    recipientUnit: row.unitId,
    results: parts,
  };
}
