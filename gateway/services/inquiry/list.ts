import { and, eq, inArray, or, type SQL } from 'drizzle-orm';
import { inquiries } from '../../db/schema';
import { ServiceError } from '../../errors';
import type { Principal } from '../../auth/principal';
import type { PolicyEngine, UnitRef } from '../../policy/authorize';
import type { RequestContext } from '../context';
import { stateCondition } from './expire';
import type { InquiryView, ListInquiriesQuery } from '../../../proto/api/inquiries';
import { readInquiries } from './view';

/**
 * The inquiries the caller may read, newest first. What the caller may not read never leaves the
 * database: the set of readable units is worked out first — by asking the policy, for every unit
 * of the tree, whether the caller may read an inquiry of that unit (submitted by someone else,
 * and by the caller) — and the query selects only rows of those units.
 */
export async function listInquiries({ ctx, input }: { ctx: RequestContext; input: ListInquiriesQuery }): Promise<{ items: InquiryView[] }> {
  const verdict = ctx.policy.authorize(ctx.principal, 'inquiry.list', { kind: 'unit', unitPath: ctx.principal.unitPath });
  if (!verdict.allowed) throw new ServiceError('permission_denied', verdict.reason);
  const query = input;
  const scope = await readableUnits(ctx, ctx.principal, ctx.policy);

  const visible: SQL[] = [];
  if (scope.anyone.length) visible.push(inArray(inquiries.unitId, scope.anyone));
  if (scope.ownOnly.length === scope.unitCount - scope.anyone.length && scope.ownOnly.length > 0) {
    // The caller's own inquiries are readable wherever they are: no need to list the units.
    visible.push(eq(inquiries.createdBy, ctx.principal.userId));
  } else if (scope.ownOnly.length) {
    visible.push(and(eq(inquiries.createdBy, ctx.principal.userId), inArray(inquiries.unitId, scope.ownOnly))!);
  }
  if (visible.length === 0) return { items: [] };
  const now = ctx.clock();
  // One statement: the rows and everything their views show (view.ts).
  const found = await readInquiries(ctx.db, and(or(...visible), query.state ? stateCondition(query.state, now) : undefined), { limit: query.limit });
  return { items: found.map((f) => f.view(now)) };
}

/**
 * Units whose inquiries the caller may read whoever submitted them (`anyone`), and units where
 * the caller may read only the inquiries they submitted themselves (`ownOnly`, e.g. entrusted
 * inquiries run for a league). Read policies may depend on the units, the submitter and the
 * caller's roles; a read rule on an inquiry's state or sensitivity would need more probes here.
 */
export async function readableUnits(
  ctx: Pick<RequestContext, 'directory'>,
  principal: Principal,
  policy: PolicyEngine,
): Promise<{ anyone: string[]; ownOnly: string[]; unitCount: number }> {
  const tree = await ctx.directory.units();
  const byId = new Map(tree.map((u) => [u.id, u]));
  const paths = new Map<string, UnitRef[]>();
  const pathOf = (id: string): UnitRef[] => {
    const known = paths.get(id);
    if (known) return known;
    const path: UnitRef[] = [];
    for (let u = byId.get(id); u && path.length < 8; u = u.parentId ? byId.get(u.parentId) : undefined) path.push({ id: u.id, level: u.level });
    paths.set(id, path);
    return path;
  };
  const anyone: string[] = [];
  const ownOnly: string[] = [];
  for (const unit of tree) {
    const unitPath = pathOf(unit.id);
    const probe = (createdBy: string) =>
      policy.authorize(principal, 'inquiry.read', {
        kind: 'inquiry',
        id: '(list probe)',
        unitPath,
        submittedFromPath: createdBy === principal.userId ? principal.unitPath : unitPath,
        createdBy,
        state: 'pending_approval',
        sensitivity: 'standard',
      }).allowed;
    if (probe('(another user)')) anyone.push(unit.id);
    else if (probe(principal.userId)) ownOnly.push(unit.id);
  }
  return { anyone, ownOnly, unitCount: tree.length };
}

