import type { ArrayDataSource } from '../../kit/data-source';
import { groupBy } from '../demo-world/group';
import { demoWorld, type DemoEnterprise, type DemoWorld } from '../demo-world/world';

export const MARKET_REGULATION = 'market_regulation';
export const MARKET_REGULATION_DISPLAY_NAME = '内蒙古自治区市场监督管理局 Market Regulation Administration (enterprise registration)';

/** What this department serves; matches policies/categories.json. */
export const MARKET_REGULATION_CATEGORIES = {
  enterprises: [
    'credit_code', 'name', 'kind', 'legal_rep_id', 'legal_rep_name', 'registered_capital', 'established_at', 'status', 'deregistered_at',
    'deregistration_reason', 'merged_into', 'address', 'role', 'role_since', 'role_until', 'share_pct', 'shareholders',
  ],
} as const satisfies Record<string, readonly string[]>;

/**
 * Registered market entities (企业登记): for an organisation, its own registration; for a person,
 * every entity the person represents or holds or held shares in, with the role (法定代表人, 股东),
 * share and since when (`role_since`; `role_until` when the person left, 退股/退社). An entity
 * merged into another (因合并注销) names it in `merged_into`; its shareholders hold stakes in that
 * one from the merger. Shareholders come as a list of {holder_id, name, share_pct, since, until},
 * so an answer names the people a follow-up inquiry may ask about.
 */
export function createMarketRegulationSource(world: DemoWorld = demoWorld): ArrayDataSource {
  const byCode = new Map(world.enterprises.map((e) => [e.creditCode, e]));
  const byPerson = groupBy(world.enterprises, (e) => [e.legalRepId, ...e.shareholders.map((s) => s.holderId)]);
  const record = (e: DemoEnterprise, person?: string) => {
    const share = person ? e.shareholders.find((s) => s.holderId === person) : undefined;
    const rep = person !== undefined && e.legalRepId === person;
    const roles = person ? [rep ? '法定代表人' : null, share ? '股东' : null].filter(Boolean).join('、') : null;
    const since = [rep ? (e.legalRepSince ?? e.establishedAt) : null, share ? (share.since ?? e.establishedAt) : null].filter((d) => d !== null).sort()[0] ?? null;
    return {
      credit_code: e.creditCode, name: e.name, kind: e.kind, legal_rep_id: e.legalRepId, legal_rep_name: e.legalRepName,
      registered_capital: e.registeredCapital, established_at: e.establishedAt, status: e.status, deregistered_at: e.deregisteredAt,
      deregistration_reason: e.deregistrationReason ?? null, merged_into: e.mergedInto ?? null, address: e.address,
      role: roles, role_since: since, role_until: rep ? null : (share?.until ?? null), share_pct: share?.sharePct ?? null,
      shareholders: e.shareholders.map((s) => ({ holder_id: s.holderId, name: s.name, share_pct: s.sharePct, since: s.since ?? e.establishedAt, until: s.until ?? null })),
    };
  };
  return {
    categories: MARKET_REGULATION_CATEGORIES,
    async lookup(category, subject) {
      if (category !== 'enterprises') return [];
      if (subject.kind === 'organisation') {
        const e = byCode.get(subject.id);
        return e ? [record(e)] : [];
      }
      return (byPerson.get(subject.id) ?? []).map((e) => record(e, subject.id));
    },
  };
}

export const marketRegulationDemoSubjectIds: readonly string[] = [
  ...new Set(demoWorld.enterprises.flatMap((e) => [e.creditCode, e.legalRepId, ...e.shareholders.map((s) => s.holderId)])),
];
