import type { ArrayDataSource } from '../../kit/data-source';
import { groupBy } from '../demo-world/group';
import { demoWorld, type DemoWorld } from '../demo-world/world';

export const ORGANISATION = 'organisation';
export const ORGANISATION_DISPLAY_NAME = '中共内蒙古自治区委员会组织部 Organisation Department (posts of public officials)';

/** What this department serves; matches policies/categories.json. */
export const ORGANISATION_CATEGORIES = {
  public_officials: ['person_id', 'name', 'post', 'organ', 'appointed_at', 'left_at'],
} as const satisfies Record<string, readonly string[]>;

/** Posts held by public officials (干部任免), village committee directors and party secretaries included, past and present. */
export function createOrganisationSource(world: DemoWorld = demoWorld): ArrayDataSource {
  const byPerson = groupBy(world.officials, (o) => o.personId);
  return {
    categories: ORGANISATION_CATEGORIES,
    async lookup(category, subject) {
      if (category !== 'public_officials' || subject.kind !== 'person') return [];
      return (byPerson.get(subject.id) ?? []).map((o) => ({
        person_id: o.personId, name: o.name, post: o.post, organ: o.organ, appointed_at: o.appointedAt, left_at: o.leftAt,
      }));
    },
  };
}

export const organisationDemoSubjectIds: readonly string[] = [...new Set(demoWorld.officials.map((o) => o.personId))];
