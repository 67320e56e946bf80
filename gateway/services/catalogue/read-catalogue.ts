import type { CatalogueView } from '../../../proto/api/catalogue';
import { requiredApprovals } from '../../policy/approval-policy';
import { ServiceError } from '../../errors';
import { auditDenial } from '../audit/audit-denial';
import type { RequestContext } from '../context';

/**
 * What can be asked: the catalogue with each category's approval chain, and each department's
 * health. Cedar decides (`read_catalogue`; every signed-in user by the shipped policy, since it
 * names no inquiry, unit or person); a refusal is audited like any other. Health is the adapters' answer to Describe,
 * probed by the DepartmentHealth the server was given; without one (tests), not_configured.
 */
export async function readCatalogue({ ctx }: { ctx: RequestContext }): Promise<CatalogueView> {
  const verdict = ctx.policy.authorize(ctx.principal, 'catalogue.read', { kind: 'catalogue' });
  if (!verdict.allowed) {
    await ctx.db.transaction((tx) => auditDenial(tx, ctx, { attempted: 'catalogue.read', verdict }));
    throw new ServiceError('permission_denied', verdict.reason);
  }
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
