import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import { inquiries } from '../../db/schema';
import { ServiceError } from '../../errors';
import { inquiryReadScope } from '../../policy/authorize';
import type { RequestContext } from '../context';
import { parseInput } from '../parse-input';
import { subtreeUnitIds } from '../unit/unit-tree';
import { ListInquiries } from './schemas';
import { loadInquiryViews, type InquiryView } from './view';

/** The caller's inquiries, newest first; what the caller may not read is filtered by the query itself. */
export async function listInquiries({ ctx, input }: { ctx: RequestContext; input: unknown }): Promise<{ items: InquiryView[] }> {
  const scope = inquiryReadScope(ctx.principal);
  if (scope.kind === 'none') throw new ServiceError('permission_denied', 'only investigators and approvers read inquiries');
  const query = parseInput(ListInquiries, input);

  const visible: SQL =
    scope.kind === 'unit' ? eq(inquiries.unitId, scope.unitId) : sql`${inquiries.unitId} in ${subtreeUnitIds(scope.rootUnitId)}`;
  const rows = await ctx.db
    .select()
    .from(inquiries)
    .where(and(visible, query.state ? eq(inquiries.state, query.state) : undefined))
    .orderBy(desc(inquiries.createdAt), desc(inquiries.id))
    .limit(query.limit);
  return { items: await loadInquiryViews(ctx.db, rows) };
}
