import { describe, expect, it } from 'vitest';
import type { PartStatus } from '../../db/schema';
import { deriveInquiryStatus } from './derive-status';

const parts = (...statuses: PartStatus[]) => statuses.map((status) => ({ status }));

describe('deriveInquiryStatus', () => {
  it('follows the decision until approval', () => {
    expect(deriveInquiryStatus('withdrawn', [])).toBe('withdrawn');
    expect(deriveInquiryStatus('expired', [])).toBe('expired');
    expect(deriveInquiryStatus('pending_approval', [])).toBe('pending_approval');
    expect(deriveInquiryStatus('rejected', [])).toBe('rejected');
  });

  it('follows the parts after approval', () => {
    expect(deriveInquiryStatus('approved', parts('pending', 'succeeded'))).toBe('running');
    expect(deriveInquiryStatus('approved', parts('running', 'failed'))).toBe('running');
    expect(deriveInquiryStatus('approved', parts('succeeded', 'succeeded'))).toBe('completed');
    expect(deriveInquiryStatus('approved', parts('succeeded', 'failed'))).toBe('partially_completed');
    expect(deriveInquiryStatus('approved', parts('failed', 'failed'))).toBe('failed');
    expect(deriveInquiryStatus('approved', [])).toBe('completed');
  });
});
