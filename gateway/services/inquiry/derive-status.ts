import type { InquiryStatus } from '../../../proto/api/inquiries';
import type { InquiryState, PartStatus } from '../../db/schema';

/**
 * What a user sees as the inquiry's progress. The stored state only records the decision;
 * after approval, progress is whatever its parts say, so it can never disagree with them.
 */
export function deriveInquiryStatus(state: InquiryState, parts: readonly { status: PartStatus }[]): InquiryStatus {
  if (state === 'pending_approval') return 'pending_approval';
  if (state === 'rejected' || state === 'withdrawn' || state === 'expired') return state;
  if (parts.some((p) => p.status === 'pending' || p.status === 'running')) return 'running';
  const succeeded = parts.filter((p) => p.status === 'succeeded').length;
  // An approved inquiry without parts asked nothing of anyone: vacuously complete.
  if (succeeded === parts.length) return 'completed';
  return succeeded === 0 ? 'failed' : 'partially_completed';
}
