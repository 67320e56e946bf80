import { describe, expect, it } from 'vitest';
import { renderApprovals } from './approvals';

describe('renderApprovals', () => {
  it('shows what an inquiry has and what it still needs', () => {
    const text = renderApprovals({
      status: 'pending_approval',
      expiresAt: '2025-03-10T02:00:00.000Z',
      approvals: {
        sensitivity: 'highly_sensitive',
        steps: [
          { role: 'approver', unitId: '150600', count: 1, approvedBy: ['appr.ordos'] },
          { role: 'regional_approver', unitId: '150000', count: 2, approvedBy: ['appr.region'] },
        ],
        next: { index: 1, role: 'regional_approver', unitId: '150000' },
        remaining: 1,
      },
    });
    expect(text).toBe(
      [
        'approvals (highly_sensitive): 2 of 3, 1 still needed',
        '  1. [done] 1 approver of unit 150600 — approved by appr.ordos',
        '  2. [NEXT] 2 regional approvers of unit 150000 — approved by appr.region',
        '  expires 2025-03-10T02:00:00.000Z unless approved by then',
      ].join('\n'),
    );
  });
});
