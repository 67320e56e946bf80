import type { ArrayDataSource } from '../../kit/data-source';
import { demoWorld, type DemoHousehold, type DemoWorld } from '../demo-world/world';

export const PUBLIC_SECURITY = 'public_security';
export const PUBLIC_SECURITY_DISPLAY_NAME = '内蒙古自治区公安厅 Public Security Department (household registration)';

/** What this department serves; matches policies/categories.json. */
export const PUBLIC_SECURITY_CATEGORIES = {
  household: ['household_id', 'address', 'registered_at', 'head_id', 'relation_to_head'],
  household_members: ['member_id', 'name', 'relation_to_head', 'joined_at', 'moved_from', 'moved_at', 'death_cancelled_at'],
} as const satisfies Record<string, readonly string[]>;

/**
 * The household register (户籍): the household a person is registered in now, and its members
 * with how and when each came into it. Records carry internal columns (police station, sex,
 * ethnicity) the way a real register would; the kit's projection keeps them out of every answer.
 */
export function createPublicSecuritySource(world: DemoWorld = demoWorld): ArrayDataSource {
  const byPerson = new Map<string, DemoHousehold>();
  for (const household of world.households) for (const m of household.members) byPerson.set(m.person.id, household);

  return {
    categories: PUBLIC_SECURITY_CATEGORIES,
    async lookup(category, subject) {
      const household = subject.kind === 'person' ? byPerson.get(subject.id) : undefined;
      if (!household) return [];
      const head = household.members[0]!;
      if (category === 'household') {
        const self = household.members.find((m) => m.person.id === subject.id)!;
        return [
          {
            household_id: household.id,
            address: household.address,
            registered_at: household.registeredAt,
            head_id: head.person.id,
            relation_to_head: self.relation,
            household_kind: household.kind,
            police_station: household.policeStation,
          },
        ];
      }
      if (category === 'household_members') {
        return household.members.map((m) => ({
          member_id: m.person.id,
          name: m.person.name,
          relation_to_head: m.relation,
          joined_at: m.joinedAt,
          moved_from: m.movedFrom,
          moved_at: m.movedAt,
          // 死亡注销: the day the register cancelled a deceased member's registration, else null.
          death_cancelled_at: m.died?.cancelledAt ?? null,
          died_at: m.died?.at ?? null,
          sex: m.person.sex === 'm' ? '男' : '女',
          ethnicity: m.person.ethnicity,
        }));
      }
      return [];
    },
  };
}

/** Everyone registered in a demo household (for tests and the walkthrough). */
export const publicSecurityDemoSubjectIds: readonly string[] = demoWorld.households.flatMap((h) => h.members.map((m) => m.person.id));
