import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import type { Principal } from '../auth/principal';
import type { InquiryState } from '../db/schema';
import type { LoadedCedarPolicies } from './cedar-policies';

/**
 * The one authorization decision point. Every service asks here, with the same shape, before it
 * does anything, and Cedar decides from policies/*.cedar (preparsed once, stateful calls).
 * Resources carry their unit's ancestry (`unitPath`: the unit, its parent, …, the region), the
 * way Cedar entities carry parents, so the decision itself needs no database.
 *
 * A decision is a function of its request alone (principal, action, resource, context: the
 * entities are built from nothing else) and of the policies, which are fixed for the engine's
 * life. So each is evaluated by Cedar once and kept, keyed by every field that goes into the
 * request (bounded, least recently used dropped first): an event stream re-reading an inquiry
 * at every change, or a listing and its downloads, ask the same question again and get Cedar's
 * own answer back without another Wasm evaluation. A request Cedar could not evaluate is never
 * kept, so its error is reported every time.
 *
 * The key leaves out what no policy can see. Without a literal naming one (`Inquiry::"…"`,
 * `User::"…"`), a policy cannot tell one inquiry id from another, nor one user from another but
 * by comparing them (`resource.createdBy == principal`): so unless the policies name an inquiry,
 * its id is not in the key, and unless they name a user, neither the principal's id nor the
 * inquiry's creator is, only whether the two are the same. The same investigator reading their
 * hundredth inquiry of a unit then gets the decision Cedar made for the first.
 */

export const ACTIONS = {
  'inquiry.submit': 'submit_inquiry',
  'inquiry.list': 'list_inquiries',
  'inquiry.read': 'read_inquiry',
  'inquiry.approve': 'approve_inquiry',
  'inquiry.reject': 'reject_inquiry',
  'inquiry.withdraw': 'withdraw_inquiry',
  'result.read': 'read_results',
  'result.download': 'download_result',
  'warrant.read': 'read_warrants',
  'audit.read_entries': 'read_audit_entries',
  'audit.read_proofs': 'read_audit_proofs',
  'audit.checkpoint': 'request_checkpoint',
  'catalogue.read': 'read_catalogue',
  'department.read': 'read_departments',
  administer: 'administer',
} as const;
export type Action = keyof typeof ACTIONS;

export type UnitLevel = 'region' | 'league' | 'banner';
export interface UnitRef {
  id: string;
  level: UnitLevel;
}

export type Resource =
  /** A unit: the one an inquiry would be created in, listed, audited or administered. Path nearest first. */
  | { kind: 'unit'; unitPath: readonly UnitRef[] }
  | {
      kind: 'inquiry';
      id: string;
      unitPath: readonly UnitRef[];
      /** The submitter's unit and its ancestors; the same as `unitPath` unless entrusted. */
      submittedFromPath: readonly UnitRef[];
      createdBy: string;
      state: InquiryState;
      sensitivity: string;
    }
  /** The audit log as a whole (`department` null), or one department's entries of it. */
  | { kind: 'audit_log'; department: string | null }
  /** The warrants issued for an inquiry: all of them (`department` null), or one department's. */
  | { kind: 'warrants'; inquiryUnitPath: readonly UnitRef[]; department: string | null }
  /** The catalogue of categories, departments and approval chains. */
  | { kind: 'catalogue' }
  /** The departments view as a whole (`department` null), or one department's entry of it. */
  | { kind: 'departments'; department: string | null };

/** What approve and reject decisions also depend on: the next step of the chain. */
export interface DecisionContext {
  step: { role: string; unitId: string } | null;
  hasDecided: boolean;
}

export interface Decision {
  allowed: boolean;
  reason: string;
  /** The @id of every policy that decided: the permits that allowed, or the forbids that denied. */
  policyIds: string[];
}

export interface PolicyEngine {
  authorize(principal: Principal, action: Action, resource: Resource, context?: DecisionContext): Decision;
  /** Policy id → where it is written. */
  readonly policies: LoadedCedarPolicies['policies'];
  /** How many requests Cedar evaluated; the others were answered by a kept decision. */
  readonly evaluations: number;
}

const DEFAULT_DENIAL: Record<Action, string> = {
  'inquiry.submit': 'no policy lets you submit an inquiry for that unit',
  'inquiry.list': 'no policy lets you list inquiries',
  'inquiry.read': 'no policy lets you read this inquiry',
  'inquiry.approve': 'no policy lets you approve this inquiry now',
  'inquiry.reject': 'no policy lets you reject this inquiry',
  'inquiry.withdraw': 'only the investigator who submitted an inquiry withdraws it',
  'result.read': 'results go to investigators of the requesting unit only',
  'result.download': 'results go to investigators of the requesting unit only',
  'warrant.read': 'issued warrants are read by investigators of the requesting unit, auditors, and the operator of the department that received one',
  'audit.read_entries': 'the audit log is read by auditors, and by a department operator for its own entries',
  'audit.read_proofs': 'audit checkpoints and proofs are for auditors and department operators',
  'audit.checkpoint': 'checkpoints are requested by auditors and administrators',
  'catalogue.read': 'no policy lets you read the catalogue',
  'department.read': 'the departments view is for auditors, administrators and a department operator (its own department)',
  administer: 'no policy lets you administer that unit',
};

const unitUid = (id: string) => ({ type: 'Unit', id });
const entityRef = (type: string, id: string) => ({ __entity: { type, id } });

function unitEntities(path: readonly UnitRef[], into: Map<string, cedar.EntityJson>): void {
  path.forEach((u, i) => {
    if (into.has(`Unit:${u.id}`)) return;
    const parent = path[i + 1];
    into.set(`Unit:${u.id}`, { uid: unitUid(u.id), attrs: { level: u.level }, parents: parent ? [unitUid(parent.id)] : [] });
  });
}

/** Decisions kept per engine (a few hundred bytes each). */
export const DECISION_CACHE_SIZE = 20_000;

/**
 * Every input of the Cedar request that a policy can observe, in a fixed order: equal keys, equal
 * decisions. Ids no policy names are left out (see the top of this file).
 */
function requestKey(
  principal: Principal,
  action: Action,
  resource: Resource,
  context: DecisionContext | undefined,
  named: { users: boolean; inquiries: boolean },
): string {
  const approval = action === 'inquiry.approve' || action === 'inquiry.reject';
  if (resource.kind === 'inquiry' && !(named.users && named.inquiries)) {
    resource = {
      ...resource,
      id: named.inquiries ? resource.id : '',
      createdBy: named.users ? resource.createdBy : resource.createdBy === principal.userId ? '(principal)' : '(another)',
    };
  }
  return JSON.stringify([
    named.users ? principal.userId : '',
    principal.unitId,
    principal.unitPath,
    principal.roles,
    principal.department,
    action,
    resource,
    approval ? [context?.step ?? null, context?.hasDecided ?? false] : null,
  ]);
}

export function createPolicyEngine(loaded: LoadedCedarPolicies, options: { onError?: (message: string) => void; cacheSize?: number } = {}): PolicyEngine {
  const cacheSize = options.cacheSize ?? DECISION_CACHE_SIZE;
  const decided = new Map<string, Decision>();
  const named = { users: loaded.literalTypes.has('User'), inquiries: loaded.literalTypes.has('Inquiry') };
  let evaluations = 0;
  const copy = (d: Decision): Decision => ({ ...d, policyIds: [...d.policyIds] });
  return {
    policies: loaded.policies,
    get evaluations() {
      return evaluations;
    },
    authorize(principal, action, resource, context) {
      const key = requestKey(principal, action, resource, context, named);
      const kept = decided.get(key);
      if (kept) {
        decided.delete(key); // most recently used last
        decided.set(key, kept);
        return copy(kept);
      }
      const decision = evaluate(principal, action, resource, context);
      evaluations++;
      if (decision.cacheable && cacheSize > 0) {
        if (decided.size >= cacheSize) decided.delete(decided.keys().next().value!);
        decided.set(key, decision.decision);
      }
      return copy(decision.decision);
    },
  };

  function evaluate(principal: Principal, action: Action, resource: Resource, context: DecisionContext | undefined): { decision: Decision; cacheable: boolean } {
    const entities = new Map<string, cedar.EntityJson>();
    unitEntities(principal.unitPath, entities);
    entities.set(`User:${principal.userId}`, {
      uid: { type: 'User', id: principal.userId },
      attrs: {
        unit: entityRef('Unit', principal.unitId),
        roles: [...principal.roles],
        ...(principal.department ? { department: principal.department } : {}),
      },
      parents: [unitUid(principal.unitId)],
    });
    let resourceUid: cedar.EntityUidJson;
    if (resource.kind === 'unit') {
      unitEntities(resource.unitPath, entities);
      resourceUid = unitUid(resource.unitPath[0]!.id);
    } else if (resource.kind === 'warrants') {
      unitEntities(resource.inquiryUnitPath, entities);
      const unitId = resource.inquiryUnitPath[0]!.id;
      resourceUid = { type: 'Warrants', id: `${unitId}/${resource.department ?? '*'}` };
      entities.set(`Warrants:${resourceUid.id}`, {
        uid: resourceUid,
        attrs: { unit: entityRef('Unit', unitId), department: resource.department ?? '' },
        parents: [unitUid(unitId)],
      });
    } else if (resource.kind === 'catalogue') {
      resourceUid = { type: 'Catalogue', id: '*' };
      entities.set('Catalogue:*', { uid: resourceUid, attrs: {}, parents: [] });
    } else if (resource.kind === 'departments') {
      resourceUid = { type: 'Departments', id: resource.department ?? '*' };
      entities.set(`Departments:${resourceUid.id}`, { uid: resourceUid, attrs: { department: resource.department ?? '' }, parents: [] });
    } else if (resource.kind === 'audit_log') {
      resourceUid = { type: 'AuditLog', id: resource.department ?? '*' };
      entities.set(`AuditLog:${resourceUid.id}`, { uid: resourceUid, attrs: { department: resource.department ?? '' }, parents: [] });
    } else {
      unitEntities(resource.unitPath, entities);
      unitEntities(resource.submittedFromPath, entities);
      const unitId = resource.unitPath[0]!.id;
      resourceUid = { type: 'Inquiry', id: resource.id };
      entities.set(`Inquiry:${resource.id}`, {
        uid: resourceUid,
        attrs: {
          unit: entityRef('Unit', unitId),
          submittedFrom: entityRef('Unit', resource.submittedFromPath[0]!.id),
          createdBy: entityRef('User', resource.createdBy),
          state: resource.state,
          sensitivity: resource.sensitivity,
        },
        parents: [unitUid(unitId)],
      });
    }
    let cedarContext: cedar.Context = {};
    if (action === 'inquiry.approve' || action === 'inquiry.reject') {
      const step = context?.step;
      // No step to fill (the chain is complete): a role nobody holds, so no permit can match.
      cedarContext = {
        step: step ? { role: step.role, unit: entityRef('Unit', step.unitId) } : { role: '(none)', unit: entityRef('Unit', '(none)') },
        hasDecided: context?.hasDecided ?? false,
      };
    }
    const answer = cedar.statefulIsAuthorized({
      principal: { type: 'User', id: principal.userId },
      action: { type: 'Action', id: ACTIONS[action] },
      resource: resourceUid,
      context: cedarContext,
      preparsedPolicySetId: loaded.policySetId,
      preparsedSchemaName: loaded.schemaName,
      validateRequest: true,
      entities: [...entities.values()],
    });
    if (answer.type === 'failure') {
      // A request the schema refuses is a bug in the gateway, not the caller's: deny, loudly.
      options.onError?.(`Cedar could not evaluate ${action}: ${answer.errors.map((e) => e.message).join('; ')}`);
      return { decision: { allowed: false, reason: DEFAULT_DENIAL[action], policyIds: [] }, cacheable: false };
    }
    const { decision, diagnostics } = answer.response;
    const cacheable = diagnostics.errors.length === 0;
    if (!cacheable) {
      options.onError?.(`policy errors during ${action}: ${diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`).join('; ')}`);
    }
    const policyIds = [...diagnostics.reason].sort();
    if (decision === 'allow') return { decision: { allowed: true, reason: `allowed by ${policyIds.join(', ')}`, policyIds }, cacheable };
    const reasons = policyIds.map((id) => loaded.policies.get(id)?.reason).filter((r): r is string => !!r);
    return { decision: { allowed: false, reason: reasons.length ? reasons.join('; ') : DEFAULT_DENIAL[action], policyIds }, cacheable };
  }
}
