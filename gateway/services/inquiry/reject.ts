import type { RequestContext } from '../context';
import { decideInquiry } from './decide';
import type { DecideInquiry, InquiryView } from '../../../proto/api/inquiries';

/** An approver of the inquiry's unit or a unit above it rejects, with a comment saying why. */
export function rejectInquiry({ ctx, input }: { ctx: RequestContext; input: { id: string; body: DecideInquiry } }): Promise<InquiryView> {
  return decideInquiry(ctx, 'reject', input.id, input.body);
}
