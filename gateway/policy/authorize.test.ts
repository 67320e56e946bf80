import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Principal } from '../auth/principal';
import type { Role } from '../db/schema';
import { createPolicyEngine, type DecisionContext, type PolicyEngine, type Resource, type UnitRef } from './authorize';
import { loadCedarPolicies } from './cedar-policies';

/** The repository's Cedar policies, decided without a database: entities are built from these paths. */
const POLICY_DIR = fileURLToPath(new URL('../../policies', import.meta.url));

const REGION: UnitRef = { id: '150000', level: 'region' };
const ORDOS: UnitRef = { id: '150600', level: 'league' };
const EJIN_HORO: UnitRef = { id: '150627', level: 'banner' };
const ALXA: UnitRef = { id: '152900', level: 'league' };
const pathOf: Record<string, UnitRef[]> = {
  [REGION.id]: [REGION],
  [ORDOS.id]: [ORDOS, REGION],
  [EJIN_HORO.id]: [EJIN_HORO, ORDOS, REGION],
  [ALXA.id]: [ALXA, REGION],
};

function principal(id: string, unit: UnitRef, roles: Role[]): Principal {
  return { userId: id, username: id, displayName: id, unitId: unit.id, roles, unit: { id: unit.id, name: unit.id, nameZh: unit.id, level: unit.level }, unitPath: pathOf[unit.id]!, department: null };
}

function inquiry(unitId: string, createdBy: string, from = unitId): Resource {
  return { kind: 'inquiry', id: 'i', unitPath: pathOf[unitId]!, submittedFromPath: pathOf[from]!, createdBy, state: 'pending_approval', sensitivity: 'standard' };
}
const unit = (id: string): Resource => ({ kind: 'unit', unitPath: pathOf[id]! });

const bannerInvestigator = principal('inv', EJIN_HORO, ['investigator']);
const leagueApprover = principal('app', ORDOS, ['approver']);
const regionalApprover = principal('reg', REGION, ['regional_approver']);
const regionalInvestigator = principal('rinv', REGION, ['investigator']);
const otherLeagueApprover = principal('alxa', ALXA, ['approver']);
const bannerApprover = principal('bapp', EJIN_HORO, ['approver', 'investigator']);
const auditor = principal('aud', REGION, ['auditor']);
const administrator = principal('adm', REGION, ['administrator']);

const leagueStep: DecisionContext = { step: { role: 'approver', unitId: ORDOS.id }, hasDecided: false };
const regionStep: DecisionContext = { step: { role: 'regional_approver', unitId: REGION.id }, hasDecided: false };

let engine: PolicyEngine;
beforeAll(async () => {
  engine = createPolicyEngine(await loadCedarPolicies(POLICY_DIR), { onError: (m) => expect.fail(m) });
});

describe('the Cedar policies', () => {
  it('let investigators submit for their own unit only, and regional investigators for a league', () => {
    expect(engine.authorize(bannerInvestigator, 'inquiry.submit', unit(EJIN_HORO.id))).toEqual({
      allowed: true,
      reason: 'allowed by investigator-submits-for-own-unit',
      policyIds: ['investigator-submits-for-own-unit'],
    });
    expect(engine.authorize(bannerInvestigator, 'inquiry.submit', unit(ORDOS.id)).allowed).toBe(false);
    expect(engine.authorize(leagueApprover, 'inquiry.submit', unit(ORDOS.id))).toEqual({
      allowed: false,
      reason: 'no policy lets you submit an inquiry for that unit',
      policyIds: [],
    });
    expect(engine.authorize(regionalInvestigator, 'inquiry.submit', unit(ALXA.id)).policyIds).toEqual(['regional-investigator-submits-on-behalf-of-league']);
    // Entrusted mode reaches leagues, not banners.
    expect(engine.authorize(regionalInvestigator, 'inquiry.submit', unit(EJIN_HORO.id)).allowed).toBe(false);
  });

  it('let the approver the chain names approve, never the submitter, never twice', () => {
    const own = inquiry(EJIN_HORO.id, 'inv');
    expect(engine.authorize(leagueApprover, 'inquiry.approve', own, leagueStep).policyIds).toEqual(['approver-fills-next-step']);
    // Not their turn: the step names the league, or the region.
    expect(engine.authorize(regionalApprover, 'inquiry.approve', own, leagueStep).allowed).toBe(false);
    expect(engine.authorize(leagueApprover, 'inquiry.approve', own, regionStep).allowed).toBe(false);
    expect(engine.authorize(regionalApprover, 'inquiry.approve', own, regionStep).allowed).toBe(true);
    expect(engine.authorize(otherLeagueApprover, 'inquiry.approve', own, leagueStep).allowed).toBe(false);
    expect(engine.authorize(leagueApprover, 'inquiry.approve', own, { ...leagueStep, hasDecided: true })).toEqual({
      allowed: false,
      reason: 'you have already decided this inquiry; each approval must come from a different person',
      policyIds: ['one-decision-per-approver'],
    });
    const bannerOwn = inquiry(EJIN_HORO.id, 'bapp');
    const bannerStep: DecisionContext = { step: { role: 'approver', unitId: EJIN_HORO.id }, hasDecided: false };
    expect(engine.authorize(bannerApprover, 'inquiry.approve', bannerOwn, bannerStep)).toEqual({
      allowed: false,
      reason: 'nobody decides an inquiry they submitted',
      policyIds: ['no-decision-on-own-inquiry'],
    });
    expect(engine.authorize(leagueApprover, 'inquiry.approve', own, { step: null, hasDecided: false }).allowed).toBe(false);
  });

  it('let any approver above the inquiry reject it', () => {
    const own = inquiry(EJIN_HORO.id, 'inv');
    for (const p of [leagueApprover, regionalApprover, bannerApprover]) expect(engine.authorize(p, 'inquiry.reject', own, regionStep).allowed, p.userId).toBe(true);
    for (const p of [otherLeagueApprover, bannerInvestigator, auditor]) expect(engine.authorize(p, 'inquiry.reject', own, leagueStep).allowed, p.userId).toBe(false);
  });

  it('let only the submitter withdraw', () => {
    expect(engine.authorize(bannerInvestigator, 'inquiry.withdraw', inquiry(EJIN_HORO.id, 'inv')).allowed).toBe(true);
    expect(engine.authorize(bannerInvestigator, 'inquiry.withdraw', inquiry(EJIN_HORO.id, 'colleague')).allowed).toBe(false);
    expect(engine.authorize(leagueApprover, 'inquiry.withdraw', inquiry(EJIN_HORO.id, 'inv')).allowed).toBe(false);
  });

  it('give results to investigators of the requesting unit only, also in entrusted mode', () => {
    const own = inquiry(EJIN_HORO.id, 'inv');
    expect(engine.authorize(bannerInvestigator, 'result.download', own).allowed).toBe(true);
    expect(engine.authorize(leagueApprover, 'result.download', own).allowed).toBe(false);
    expect(engine.authorize(auditor, 'result.read', own).allowed).toBe(false);
    const entrusted = inquiry(ALXA.id, 'rinv', REGION.id);
    expect(engine.authorize(regionalInvestigator, 'inquiry.read', entrusted).policyIds).toEqual(['submitter-reads-own-inquiry']);
    expect(engine.authorize(regionalInvestigator, 'result.read', entrusted).allowed).toBe(false);
  });

  it('keep the audit log for auditors and department operators, and administration for administrators', () => {
    const wholeLog: Resource = { kind: 'audit_log', department: null };
    const ofDept = (department: string): Resource => ({ kind: 'audit_log', department });
    const operator = { ...principal('ops', REGION, ['department_operator']), department: 'public_security' };
    expect(engine.authorize(auditor, 'audit.read_entries', wholeLog).allowed).toBe(true);
    expect(engine.authorize(auditor, 'audit.read_proofs', wholeLog).allowed).toBe(true);
    expect(engine.authorize(operator, 'audit.read_entries', ofDept('public_security')).allowed).toBe(true);
    expect(engine.authorize(operator, 'audit.read_entries', ofDept('natural_resources')).allowed).toBe(false);
    expect(engine.authorize(operator, 'audit.read_entries', wholeLog).allowed).toBe(false);
    expect(engine.authorize(operator, 'audit.read_proofs', wholeLog).allowed).toBe(true);
    expect(engine.authorize(administrator, 'audit.read_entries', wholeLog).allowed).toBe(false);
    expect(engine.authorize(administrator, 'audit.checkpoint', wholeLog).allowed).toBe(true);
    expect(engine.authorize(leagueApprover, 'audit.read_proofs', wholeLog).allowed).toBe(false);
    expect(engine.authorize(administrator, 'administer', unit(ORDOS.id)).allowed).toBe(true);
    expect(engine.authorize(regionalApprover, 'administer', unit(ORDOS.id)).allowed).toBe(false);
  });

  it('let investigators and approvers read within their reach only', () => {
    const cases: [Principal, string, boolean][] = [
      [bannerInvestigator, EJIN_HORO.id, true],
      [bannerInvestigator, ORDOS.id, false],
      [leagueApprover, EJIN_HORO.id, true],
      [leagueApprover, ALXA.id, false],
      [regionalApprover, ALXA.id, true],
      [bannerApprover, ORDOS.id, false],
      [auditor, EJIN_HORO.id, false],
    ];
    for (const [p, unitId, allowed] of cases) {
      expect(engine.authorize(p, 'inquiry.read', inquiry(unitId, 'someone')).allowed, `${p.userId} reading ${unitId}`).toBe(allowed);
    }
  });

  it('decides faster with the preparsed policy set than by parsing the policies on every call', async () => {
    const { readFile, readdir } = await import('node:fs/promises');
    const cedar = await import('@cedar-policy/cedar-wasm/nodejs');
    const schema = await readFile(`${POLICY_DIR}/qiao.cedarschema`, 'utf8');
    const files = (await readdir(POLICY_DIR)).filter((f) => f.endsWith('.cedar'));
    const policies = (await Promise.all(files.map((f) => readFile(`${POLICY_DIR}/${f}`, 'utf8')))).join('\n');
    const entities: import('@cedar-policy/cedar-wasm/nodejs').EntityJson[] = [
      { uid: { type: 'Unit', id: ORDOS.id }, attrs: { level: 'league' }, parents: [] },
      { uid: { type: 'User', id: 'app' }, attrs: { unit: { __entity: { type: 'Unit', id: ORDOS.id } }, roles: ['approver'] }, parents: [{ type: 'Unit', id: ORDOS.id }] },
    ];
    const stateless = () =>
      cedar.isAuthorized({
        principal: { type: 'User', id: 'app' },
        action: { type: 'Action', id: 'list_inquiries' },
        resource: { type: 'Unit', id: ORDOS.id },
        context: {},
        schema,
        validateRequest: true,
        policies: { staticPolicies: policies },
        entities,
      });
    // Without kept decisions: this compares Cedar's two ways of evaluating, not a cache lookup.
    const uncached = createPolicyEngine(await loadCedarPolicies(POLICY_DIR), { cacheSize: 0 });
    const stateful = () => uncached.authorize(leagueApprover, 'inquiry.list', unit(ORDOS.id));
    const time = (fn: () => unknown, n: number) => {
      const started = performance.now();
      for (let i = 0; i < n; i++) fn();
      return (performance.now() - started) / n;
    };
    time(stateless, 50);
    time(stateful, 50);
    const [parsing, preparsed] = [time(stateless, 200), time(stateful, 200)];
    console.info(`Cedar decision: ${preparsed.toFixed(3)} ms preparsed, ${parsing.toFixed(3)} ms parsing every call`);
    expect(stateless()).toMatchObject({ type: 'success', response: { decision: 'allow' } });
    expect(preparsed).toBeLessThan(parsing);
  });
});

describe('kept decisions', () => {
  it('answer every request as Cedar itself does, however the requests interleave', async () => {
    const loaded = await loadCedarPolicies(POLICY_DIR);
    const fresh = createPolicyEngine(loaded, { cacheSize: 0, onError: (m) => expect.fail(m) });
    const kept = createPolicyEngine(loaded, { cacheSize: 8, onError: (m) => expect.fail(m) });
    const people = [bannerInvestigator, leagueApprover, regionalApprover, regionalInvestigator, otherLeagueApprover, bannerApprover, auditor, administrator];
    const states = ['pending_approval', 'approved', 'rejected', 'withdrawn'] as const;
    const requests: [Principal, Parameters<PolicyEngine['authorize']>[1], Resource, DecisionContext?][] = [];
    for (const who of people) {
      requests.push([who, 'inquiry.submit', unit(EJIN_HORO.id)], [who, 'inquiry.submit', unit(ORDOS.id)]);
      for (const state of states) {
        const resource = { ...(inquiry(EJIN_HORO.id, 'inv') as Extract<Resource, { kind: 'inquiry' }>), state };
        // Other ids and creators: the creator's own, another's, another unit's inquiry.
        for (const [id, createdBy, unitId] of [['j', who.userId, EJIN_HORO.id], ['k', 'app', ORDOS.id], ['l', who.userId, ALXA.id]] as const) {
          const other = { ...(inquiry(unitId, createdBy) as Extract<Resource, { kind: 'inquiry' }>), id, state };
          requests.push([who, 'inquiry.read', other], [who, 'inquiry.withdraw', other], [who, 'result.download', other]);
        }
        requests.push([who, 'inquiry.read', resource], [who, 'result.download', resource], [who, 'inquiry.withdraw', resource]);
        requests.push([who, 'inquiry.approve', resource, leagueStep], [who, 'inquiry.approve', resource, regionStep], [who, 'inquiry.approve', resource, { ...leagueStep, hasDecided: true }]);
      }
    }
    // Three rounds in a different order each, through a cache far smaller than the requests: hits, misses and evictions.
    for (let round = 0; round < 3; round++) {
      const order = requests.map((_, i) => (i * (round * 2 + 1) + round) % requests.length);
      for (const i of order) {
        const [who, action, resource, context] = requests[i]!;
        expect(kept.authorize(who, action, resource, context)).toEqual(fresh.authorize(who, action, resource, context));
      }
    }
    expect(requests.length).toBeGreaterThan(100);
    // Both outcomes occur, so the comparison above is not all denials.
    const outcomes = new Set(requests.map(([w, a, r, c]) => kept.authorize(w, a, r, c).allowed));
    expect(outcomes).toEqual(new Set([true, false]));
  });

  it("ask Cedar once for an investigator's many inquiries of one unit, and again for someone else's", async () => {
    const kept = createPolicyEngine(await loadCedarPolicies(POLICY_DIR), { onError: (m) => expect.fail(m) });
    const mine = (id: string): Resource => ({ ...(inquiry(EJIN_HORO.id, 'inv') as Extract<Resource, { kind: 'inquiry' }>), id });
    for (let i = 0; i < 20; i++) expect(kept.authorize(bannerInvestigator, 'inquiry.withdraw', mine(`i${i}`)).allowed).toBe(true);
    expect(kept.evaluations).toBe(1);
    // Another investigator of the same unit and roles: the same question, since neither created it.
    const colleague = principal('inv2', EJIN_HORO, ['investigator']);
    expect(kept.authorize(colleague, 'inquiry.withdraw', mine('i0')).allowed).toBe(false);
    expect(kept.evaluations).toBe(2);
    expect(kept.authorize(principal('inv3', EJIN_HORO, ['investigator']), 'inquiry.withdraw', mine('i1')).allowed).toBe(false);
    expect(kept.evaluations).toBe(2);
    // The colleague's own inquiry: the question Cedar answered first, for the first investigator.
    expect(kept.authorize(colleague, 'inquiry.withdraw', { ...(inquiry(EJIN_HORO.id, 'inv2') as Extract<Resource, { kind: 'inquiry' }>), id: 'c' }).allowed).toBe(true);
    expect(kept.evaluations).toBe(2);
    // Another unit's investigator: another question.
    expect(kept.authorize(principal('alxa-inv', ALXA, ['investigator']), 'inquiry.withdraw', mine('i2')).allowed).toBe(false);
    expect(kept.evaluations).toBe(3);
  });

  it('keep ids in the key when a policy names a user or an inquiry', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qiao-policies-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await cp(POLICY_DIR, dir, { recursive: true });
    await writeFile(
      join(dir, 'zz-named.cedar'),
      [
        '@id("sealed-inquiry")\n@reason("this inquiry is sealed")\nforbid (principal, action, resource == Inquiry::"sealed");',
        '@id("suspended-user")\n@reason("this account is suspended")\nforbid (principal == User::"inv", action, resource);',
      ].join('\n\n'),
    );
    const loaded = await loadCedarPolicies(dir);
    expect([...loaded.literalTypes].sort()).toEqual(['Action', 'Inquiry', 'User']);
    const fresh = createPolicyEngine(loaded, { cacheSize: 0, onError: (m) => expect.fail(m) });
    const kept = createPolicyEngine(loaded, { onError: (m) => expect.fail(m) });
    const colleague = principal('inv2', EJIN_HORO, ['investigator']);
    const of = (id: string, createdBy: string): Resource => ({ ...(inquiry(EJIN_HORO.id, createdBy) as Extract<Resource, { kind: 'inquiry' }>), id });
    for (const [who, resource] of [
      [colleague, of('open', 'inv2')],
      [colleague, of('sealed', 'inv2')],
      [bannerInvestigator, of('open', 'inv')],
      [colleague, of('open2', 'inv2')],
    ] as const) {
      expect(kept.authorize(who, 'inquiry.read', resource)).toEqual(fresh.authorize(who, 'inquiry.read', resource));
    }
    expect(kept.authorize(colleague, 'inquiry.read', of('sealed', 'inv2')).reason).toBe('this inquiry is sealed');
    expect(kept.authorize(bannerInvestigator, 'inquiry.read', of('open', 'inv')).reason).toBe('this account is suspended');
    expect(kept.authorize(colleague, 'inquiry.read', of('open', 'inv2')).allowed).toBe(true);
    // The repository's own policies name no user and no inquiry.
    expect((await loadCedarPolicies(POLICY_DIR)).literalTypes.has('User')).toBe(false);
  });

  it('hands out a copy: a caller changing its decision changes no later one', () => {
    const first = engine.authorize(bannerInvestigator, 'inquiry.submit', unit(EJIN_HORO.id));
    first.policyIds.push('tampered');
    expect(engine.authorize(bannerInvestigator, 'inquiry.submit', unit(EJIN_HORO.id)).policyIds).toEqual(['investigator-submits-for-own-unit']);
  });
});
