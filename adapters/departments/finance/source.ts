import type { ArrayDataSource } from '../../kit/data-source';
import { groupBy } from '../demo-world/group';
import { demoWorld, villageCode, type DemoWorld } from '../demo-world/world';

export const FINANCE = 'finance';
export const FINANCE_DISPLAY_NAME = '内蒙古自治区财政厅 Finance Department (agricultural subsidy payments)';

/** What this department serves; matches policies/categories.json. */
export const FINANCE_CATEGORIES = {
  subsidies: ['payment_id', 'programme', 'year', 'recipient_id', 'recipient_name', 'household_id', 'village', 'village_code', 'contract_id', 'declared_area_mu', 'amount', 'paid_at'],
} as const satisfies Record<string, readonly string[]>;

/**
 * The subsidy roll (惠农补贴 “一卡通”): grassland ecological protection subsidy, farmland
 * fertility subsidy and poverty-relief grants, by recipient. The household is the one finance
 * recorded when the payment was declared — finance does not re-check household registration,
 * which is why comparing with public security finds what it finds. The village is named as it
 * was when the payment was made (a renamed village appears under both names); `village_code`
 * (统计用区划代码) stays the same across a rename.
 */
export function createFinanceSource(world: DemoWorld = demoWorld): ArrayDataSource {
  const byRecipient = groupBy(world.subsidies, (s) => s.recipientId);
  return {
    categories: FINANCE_CATEGORIES,
    async lookup(category, subject) {
      if (category !== 'subsidies' || subject.kind !== 'person') return [];
      return (byRecipient.get(subject.id) ?? []).map((s) => ({
        payment_id: s.paymentId, programme: s.programme, year: s.year, recipient_id: s.recipientId, recipient_name: s.recipientName,
        household_id: s.householdId, village: s.village, village_code: villageCode(s.village), contract_id: s.contractId, declared_area_mu: s.declaredAreaMu, amount: s.amount, paid_at: s.paidAt,
      }));
    },
  };
}

export const financeDemoSubjectIds: readonly string[] = [...new Set(demoWorld.subsidies.map((s) => s.recipientId))];
