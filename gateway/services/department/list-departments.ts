import type { DepartmentsView, DepartmentView } from '../../../proto/api/departments';
import { ServiceError } from '../../errors';
import { auditDenial } from '../audit/audit-denial';
import type { RequestContext } from '../context';

/**
 * The departments as this gateway replica sees them: the adapter's own word (Describe: health,
 * display name, version, served categories; probes cached 10 s), what the catalogue sends it,
 * and how this replica's calls to it went since it started (departments/activity.ts). Auditors
 * and administrators see every department; a department's operator its own (Cedar,
 * `read_departments`). Someone who may see none is refused, and the refusal audited.
 */
export async function listDepartments({ ctx }: { ctx: RequestContext }): Promise<DepartmentsView> {
  const configured = new Set(ctx.departments ?? []);
  const inCatalogue = Object.values(ctx.catalogue.categories).map((c) => c.department);
  const every = [...new Set([...configured, ...inCatalogue])].sort();
  const whole = ctx.policy.authorize(ctx.principal, 'department.read', { kind: 'departments', department: null });
  const names = whole.allowed ? every : every.filter((d) => ctx.policy.authorize(ctx.principal, 'department.read', { kind: 'departments', department: d }).allowed);
  if (names.length === 0) {
    await ctx.db.transaction((tx) => auditDenial(tx, ctx, { attempted: 'department.read', verdict: whole }));
    throw new ServiceError('permission_denied', whole.reason);
  }
  const health = ctx.departmentHealth ? await ctx.departmentHealth.check(names) : undefined;
  const now = ctx.clock().toISOString();
  const departments = names.map((name): DepartmentView => {
    const probe = health?.[name];
    const seen = ctx.departmentActivity?.get(name);
    return {
      name,
      displayName: probe?.displayName ?? null,
      version: probe?.version ?? null,
      health: probe?.health ?? 'not_configured',
      checkedAt: probe?.checkedAt ?? now,
      servedCategories: probe?.categories ?? null,
      catalogueCategories: Object.entries(ctx.catalogue.categories)
        .filter(([, c]) => c.department === name)
        .map(([n]) => n)
        .sort(),
      configured: configured.has(name),
      lastSuccessAt: seen?.lastSuccessAt ?? null,
      lastFailure: seen?.lastFailure ?? null,
      refusals: seen?.refusals ?? {},
      calls: seen?.calls ?? 0,
    };
  });
  return { departments, observedSince: ctx.departmentActivity?.since ?? now };
}
