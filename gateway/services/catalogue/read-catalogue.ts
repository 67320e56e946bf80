import type { CatalogueView } from '../../../proto/api/catalogue';
import { requiredApprovals } from '../../policy/approval-policy';
import type { RequestContext } from '../context';

/**
 * What can be asked: the catalogue with each category's approval chain, and each department's
 * health. Every signed-in user may read it (the route sits behind authentication; no Cedar
 * decision: it names no inquiry, unit or person). Health is the adapters' answer to Describe,
 * probed by the DepartmentHealth the server was given; without one (tests), not_configured.
 */
export async function readCatalogue({ ctx }: { ctx: RequestContext }): Promise<CatalogueView> {
  const entries = Object.entries(ctx.catalogue.categories).sort(([a], [b]) => a.localeCompare(b));
  const categories = entries.map(([name, c]) => ({
    name, department: c.department, description: c.description ?? null, fields: [...c.fields], sensitivity: c.sensitivity,
    approvalChain: requiredApprovals(ctx.approvals, ctx.catalogue, [name]).chain.map((s) => ({ role: s.role, at: s.at, count: s.count })),
  }));
  const names = [...new Set(entries.map(([, c]) => c.department))].sort();
  const health = ctx.departmentHealth ? await ctx.departmentHealth.check(names) : undefined;
  const now = ctx.clock().toISOString();
  const departments = names.map((name) => ({
    name,
    categories: entries.filter(([, c]) => c.department === name).map(([n]) => n),
    displayName: health?.[name]?.displayName ?? null,
    health: health?.[name]?.health ?? ('not_configured' as const),
    checkedAt: health?.[name]?.checkedAt ?? now,
  }));
  return { categories, departments };
}
