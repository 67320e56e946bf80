import type { RequestContext } from '../context';
import { readVisibleInquiry } from './find-visible-inquiry';
import type { InquiryView } from '../../../proto/api/inquiries';

export async function getInquiry({ ctx, input }: { ctx: RequestContext; input: { id: string } }): Promise<InquiryView> {
  // One statement reads the inquiry and all its view shows; reading is authorized on it before
  // anything is shown: an inquiry the caller may not read is reported as missing.
  return (await readVisibleInquiry(ctx, input.id)).view;
}
