import type { RequestContext } from '../context';
import { decideInquiry } from './decide';
import type { DecideInquiry, InquiryView } from '../../../proto/api/inquiries';

/** An approver of the inquiry's unit or a unit above it approves; never the submitter. */
export function approveInquiry({ ctx, input }: { ctx: RequestContext; input: { id: string; body: DecideInquiry } }): Promise<InquiryView> {
  return decideInquiry(ctx, 'approve', input.id, input.body);
}
