import { addDays, dayBetween, livingMembers } from './dates';
import { createPrng } from './prng';
import type { DemoAssistance, DemoEnterprise, DemoWorld } from './types';

/**
 * Enterprises merged, deregistered or handed to a new legal representative, laid over the
 * generated population after the deaths, from its own seeded stream:
 *
 * - Every deregistered entity gets its reason (决议解散, 营业执照被吊销后注销, 个体工商户申请注销).
 * - Mergers (吸收合并): an entity is deregistered 因合并注销 with `mergedInto` naming the entity of
 *   the same banner that absorbed it; its living shareholders hold a stake in that one from the
 *   merger (`since`), taken from the absorbing entity's first shareholder.
 * - A new legal representative (法定代表人变更): the second shareholder, `legalRepSince`.
 * - Among assisted households: a stake acquired after the allowance ended — no holding during
 *   the period paid, though the entity was in business all along.
 */

const SEED = 20190405;
export const MERGER_NOISE = { merged: 12, newLegalRep: 15, stakeAfterAssistance: 1 } as const;
const DISSOLVED = ['决议解散', '决议解散', '营业执照被吊销后注销'] as const;
const LAST_DAY = '2022-12-31';

export function addMergerNoise(world: DemoWorld): DemoWorld {
  const p = createPrng(SEED);
  const living = livingMembers(world);
  const enterprises: DemoEnterprise[] = world.enterprises.map((e) => ({ ...e, shareholders: e.shareholders.map((s) => ({ ...s })) }));
  for (const e of enterprises) {
    if (e.status === '注销' && !e.deregistrationReason) e.deregistrationReason = e.kind === '个体工商户' ? '个体工商户申请注销' : p.pick(DISSOLVED);
  }
  const company = (e: DemoEnterprise) => e.kind !== '个体工商户' && e.status === '存续';
  const touched = new Set<DemoEnterprise>();

  for (let n = 0, i = 0; n < MERGER_NOISE.merged && i < 1000; i++) {
    const merged = p.pick(enterprises);
    if (!company(merged) || touched.has(merged)) continue;
    const targets = enterprises.filter((t) => t !== merged && company(t) && !touched.has(t) && t.creditCode.slice(2, 8) === merged.creditCode.slice(2, 8));
    if (targets.length === 0) continue;
    const target = p.pick(targets);
    const at = dayBetween(p, addDays([merged.establishedAt, target.establishedAt].sort()[1]!, 365), LAST_DAY);
    if (!at) continue;
    const newcomers = merged.shareholders
      .filter((s) => !target.shareholders.some((t) => t.holderId === s.holderId) && living.has(s.holderId))
      .map((s) => ({ holderId: s.holderId, name: s.name, sharePct: Math.max(1, Math.round(s.sharePct * 0.3)), since: at }));
    const first = target.shareholders[0]!;
    const taken = newcomers.reduce((sum, s) => sum + s.sharePct, 0);
    if (first.sharePct - taken < 1) continue;
    first.sharePct -= taken;
    target.shareholders.push(...newcomers);
    Object.assign(merged, { status: '注销', deregisteredAt: at, deregistrationReason: '因合并注销', mergedInto: target.creditCode });
    touched.add(merged).add(target);
    n++;
  }
  for (let n = 0, i = 0; n < MERGER_NOISE.newLegalRep && i < 1000; i++) {
    const e = p.pick(enterprises);
    const next = e.shareholders[1];
    if (!company(e) || touched.has(e) || !next || !living.has(next.holderId)) continue;
    const since = dayBetween(p, addDays(e.establishedAt, 365), LAST_DAY);
    if (!since) continue;
    Object.assign(e, { legalRepId: next.holderId, legalRepName: next.name, legalRepSince: since });
    touched.add(e);
    n++;
  }

  const used = new Set<DemoAssistance>();
  for (let n = 0, i = 0; n < MERGER_NOISE.stakeAfterAssistance && i < 1000; i++) {
    const a = p.pick(world.assistance);
    if (used.has(a) || a.periodTo === null || a.periodTo > '2021-06-30' || !living.has(a.recipientId)) continue;
    const e = p.pick(enterprises);
    const since = dayBetween(p, addDays(a.periodTo, 60), addDays(a.periodTo, 600))!;
    const share = p.int(5, 20);
    if (!company(e) || touched.has(e) || e.establishedAt >= a.periodFrom || e.shareholders[0]!.sharePct - share < 1) continue;
    used.add(a);
    e.shareholders[0]!.sharePct -= share;
    e.shareholders.push({ holderId: a.recipientId, name: a.recipientName, sharePct: share, since });
    touched.add(e);
    n++;
  }
  return { ...world, enterprises };
}
