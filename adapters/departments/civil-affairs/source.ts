import type { ArrayDataSource } from '../../kit/data-source';
import { groupBy } from '../demo-world/group';
import { demoWorld, type DemoWorld } from '../demo-world/world';

export const CIVIL_AFFAIRS = 'civil_affairs';
export const CIVIL_AFFAIRS_DISPLAY_NAME = '内蒙古自治区民政厅 Civil Affairs Department (social assistance)';

/** What this department serves; matches policies/categories.json. */
export const CIVIL_AFFAIRS_CATEGORIES = {
  social_assistance: ['case_id', 'programme', 'recipient_id', 'recipient_name', 'household_id', 'period_from', 'period_to', 'monthly_amount', 'total_amount'],
} as const satisfies Record<string, readonly string[]>;

/**
 * Social assistance cases (最低生活保障, 特困人员救助供养, 临时救助) by recipient: the period paid
 * (open while still paid) and the household the allowance is for. The case worker stays inside.
 */
export function createCivilAffairsSource(world: DemoWorld = demoWorld): ArrayDataSource {
  const byRecipient = groupBy(world.assistance, (a) => a.recipientId);
  return {
    categories: CIVIL_AFFAIRS_CATEGORIES,
    async lookup(category, subject) {
      if (category !== 'social_assistance' || subject.kind !== 'person') return [];
      return (byRecipient.get(subject.id) ?? []).map((a) => ({
        case_id: a.caseId, programme: a.programme, recipient_id: a.recipientId, recipient_name: a.recipientName, household_id: a.householdId,
        period_from: a.periodFrom, period_to: a.periodTo, monthly_amount: a.monthlyAmount, total_amount: a.totalAmount, case_worker: a.caseWorker,
      }));
    },
  };
}

export const civilAffairsDemoSubjectIds: readonly string[] = [...new Set(demoWorld.assistance.map((a) => a.recipientId))];
