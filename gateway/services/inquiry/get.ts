import type { RequestContext } from '../context';
import { findVisibleInquiry } from './find-visible-inquiry';
import type { InquiryView } from '../../../proto/api/inquiries';
import { loadInquiryViews } from './view';

export async function getInquiry({ ctx, input }: { ctx: RequestContext; input: { id: string } }): Promise<InquiryView> {
  // Reading is authorized inside: an inquiry the caller may not read is reported as missing.
  const { row } = await findVisibleInquiry(ctx, ctx.db, input.id);
  const [view] = await loadInquiryViews(ctx.db, [row], ctx.clock());
  return view!;
}
