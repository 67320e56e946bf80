import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { noteSigner } from '../../proto/checkpoint';
import { users, type Role } from '../db/schema';
import { appendAudit } from '../services/audit/append-audit';
import { exampleAuditEntry } from '../testing/audit-entries';
import { createCheckpoint } from '../services/audit/checkpoints';
import { createTestGateway, type TestGateway, type TestUser } from '../testing/harness';
import { newEd25519PrivateKey } from '../../proto/node/keys';

/**
 * THE authorization matrix: every route × every role × where the inquiry sits relative to the
 * caller, with the expected answer, run against the real HTTP app and the real Cedar policies.
 * A route added to the app without a row here fails the last test of this file.
 *
 * Cells, in the order of RELATIONS: A = allowed (2xx; for the list: the inquiry is listed),
 * D = denied (403 or 404; for the list: 403 or not listed), - = does not apply.
 *   own inquiry   the caller submitted it (investigators only)
 *   own unit      submitted by someone else of the caller's unit
 *   child unit    a unit directly below the caller's
 *   other league  Alxa League, outside the caller's league
 *   region        the region's own inquiries
 * Submission uses the relation's unit as the unit the inquiry is for (entrusted mode when it is
 * not the caller's own).
 */
const RELATIONS = ['ownInquiry', 'ownUnit', 'childUnit', 'otherLeague', 'region'] as const;
type Relation = (typeof RELATIONS)[number];

/** Callers: where each role sits in the tree. */
const CALLERS = {
  investigator: { unit: 'league', roles: ['investigator'] },
  approver: { unit: 'league', roles: ['approver'] },
  regional_approver: { unit: 'region', roles: ['regional_approver'] },
  auditor: { unit: 'region', roles: ['auditor'] },
  department_operator: { unit: 'region', roles: ['department_operator'] },
  administrator: { unit: 'region', roles: ['administrator'] },
  regional_investigator: { unit: 'region', roles: ['investigator'] },
} as const satisfies Record<string, { unit: 'league' | 'region'; roles: Role[] }>;
type Caller = keyof typeof CALLERS;

/** What the inquiry looks like before the call: fresh for calls that change it. */
type Fixture = 'none' | 'pending' | 'awaiting-region' | 'with-results';

interface RouteRow {
  fixture: Fixture | ((caller: Caller) => Fixture);
  /** Calls that change the inquiry get an inquiry of their own per cell. */
  mutates?: boolean;
  expect: Record<Caller, string>;
}

export const MATRIX: Record<string, RouteRow> = {
  'GET /v1/me': {
    fixture: 'none',
    expect: {
      investigator: 'A A A A A', approver: 'A A A A A', regional_approver: 'A A A A A', auditor: 'A A A A A',
      department_operator: 'A A A A A', administrator: 'A A A A A', regional_investigator: 'A A A A A',
    },
  },
  // What can be asked is no secret among signed-in users: it names no inquiry, unit or person.
  'GET /v1/catalogue': {
    fixture: 'none',
    expect: {
      investigator: 'A - - - -', approver: 'A - - - -', regional_approver: 'A - - - -', auditor: 'A - - - -',
      department_operator: 'A - - - -', administrator: 'A - - - -', regional_investigator: 'A - - - -',
    },
  },
  // How the departments answer names no inquiry or person, but is for oversight: auditors and
  // administrators see every department, the operator (public_security's here) its own.
  'GET /v1/departments': {
    fixture: 'none',
    expect: {
      investigator: 'D - - - -', approver: 'D - - - -', regional_approver: 'D - - - -', auditor: 'A - - - -',
      department_operator: 'A - - - -', administrator: 'A - - - -', regional_investigator: 'D - - - -',
    },
  },
  'POST /v1/inquiries': {
    fixture: 'none',
    mutates: true,
    expect: {
      investigator: '- A D D D', approver: '- D D D D', regional_approver: '- D D D D', auditor: '- D D D D',
      department_operator: '- D D D D', administrator: '- D D D D', regional_investigator: '- A A A A',
    },
  },
  'GET /v1/inquiries': {
    fixture: 'pending',
    expect: {
      investigator: 'A A D D D', approver: '- A A D D', regional_approver: '- A A A A', auditor: '- D D D D',
      department_operator: '- D D D D', administrator: '- D D D D', regional_investigator: 'A A D D A',
    },
  },
  'GET /v1/inquiries/:id': {
    fixture: 'pending',
    expect: {
      investigator: 'A A D D D', approver: '- A A D D', regional_approver: '- A A A A', auditor: '- D D D D',
      department_operator: '- D D D D', administrator: '- D D D D', regional_investigator: 'A A D D A',
    },
  },
  // Following an inquiry is reading it (the inquiry with results is final: its stream ends after one event).
  'GET /v1/inquiries/:id/events': {
    fixture: 'with-results',
    expect: {
      investigator: 'A A D D D', approver: '- A A D D', regional_approver: '- A A A A', auditor: '- D D D D',
      department_operator: '- D D D D', administrator: '- D D D D', regional_investigator: 'A A D D A',
    },
  },
  'POST /v1/inquiries/:id/approve': {
    // Regional approvers are asked when it is their turn: after the league's approval of a sensitive inquiry.
    fixture: (caller) => (caller === 'regional_approver' ? 'awaiting-region' : 'pending'),
    mutates: true,
    expect: {
      investigator: 'D D D D D', approver: '- A A D D', regional_approver: '- A A A A', auditor: '- D D D D',
      department_operator: '- D D D D', administrator: '- D D D D', regional_investigator: 'D D D D D',
    },
  },
  'POST /v1/inquiries/:id/reject': {
    fixture: 'pending',
    mutates: true,
    expect: {
      investigator: 'D D D D D', approver: '- A A D D', regional_approver: '- A A A A', auditor: '- D D D D',
      department_operator: '- D D D D', administrator: '- D D D D', regional_investigator: 'D D D D D',
    },
  },
  'POST /v1/inquiries/:id/withdraw': {
    fixture: 'pending',
    mutates: true,
    expect: {
      investigator: 'A D D D D', approver: '- D D D D', regional_approver: '- D D D D', auditor: '- D D D D',
      department_operator: '- D D D D', administrator: '- D D D D', regional_investigator: 'A D D D D',
    },
  },
  'GET /v1/inquiries/:id/results': {
    fixture: 'with-results',
    expect: {
      investigator: 'A A D D D', approver: '- D D D D', regional_approver: '- D D D D', auditor: '- D D D D',
      department_operator: '- D D D D', administrator: '- D D D D', regional_investigator: 'A A D D A',
    },
  },
  'GET /v1/inquiries/:id/results/:department': {
    fixture: 'with-results',
    expect: {
      investigator: 'A A D D D', approver: '- D D D D', regional_approver: '- D D D D', auditor: '- D D D D',
      department_operator: '- D D D D', administrator: '- D D D D', regional_investigator: 'A A D D A',
    },
  },
  // The warrant a department received is evidence: the unit's investigators, auditors (wherever
  // the inquiry sits), and the operator of that department (public_security's here) read it.
  'GET /v1/inquiries/:id/warrants': {
    fixture: 'with-results',
    expect: {
      investigator: 'A A D D D', approver: '- D D D D', regional_approver: '- D D D D', auditor: '- A A A A',
      department_operator: '- A A A A', administrator: '- D D D D', regional_investigator: 'A A D D A',
    },
  },
  // The audit log is one log for the whole federation: where an inquiry sits does not matter, so
  // one cell per caller. Operators are seeded as public_security's and read its entries.
  'GET /v1/audit/checkpoint': {
    fixture: 'none',
    expect: {
      investigator: '- D - - -', approver: '- D - - -', regional_approver: '- D - - -', auditor: '- A - - -',
      department_operator: '- A - - -', administrator: '- D - - -', regional_investigator: '- D - - -',
    },
  },
  'POST /v1/audit/checkpoint': {
    fixture: 'none',
    expect: {
      investigator: '- D - - -', approver: '- D - - -', regional_approver: '- D - - -', auditor: '- A - - -',
      department_operator: '- D - - -', administrator: '- A - - -', regional_investigator: '- D - - -',
    },
  },
  'GET /v1/audit/entries': {
    fixture: 'none',
    expect: {
      investigator: '- D - - -', approver: '- D - - -', regional_approver: '- D - - -', auditor: '- A - - -',
      department_operator: '- A - - -', administrator: '- D - - -', regional_investigator: '- D - - -',
    },
  },
  'GET /v1/audit/proofs/inclusion': {
    fixture: 'none',
    expect: {
      investigator: '- D - - -', approver: '- D - - -', regional_approver: '- D - - -', auditor: '- A - - -',
      department_operator: '- A - - -', administrator: '- D - - -', regional_investigator: '- D - - -',
    },
  },
  'GET /v1/audit/proofs/consistency': {
    fixture: 'none',
    expect: {
      investigator: '- D - - -', approver: '- D - - -', regional_approver: '- D - - -', auditor: '- A - - -',
      department_operator: '- A - - -', administrator: '- D - - -', regional_investigator: '- D - - -',
    },
  },
};

/** How each audit route is called: the operator's department, and a proof the log can give. */
const AUDIT_PATHS: Record<string, string> = {
  'GET /v1/audit/checkpoint': '/v1/audit/checkpoint',
  'POST /v1/audit/checkpoint': '/v1/audit/checkpoint',
  'GET /v1/audit/entries': '/v1/audit/entries?department=public_security',
  'GET /v1/audit/proofs/inclusion': '/v1/audit/proofs/inclusion?index=0&size=2',
  'GET /v1/audit/proofs/consistency': '/v1/audit/proofs/consistency?from=1&to=2',
};

/** Routes anyone may call without a token; checked here so that they, too, cannot appear unnoticed. */
export const PUBLIC_ROUTES = ['GET /health', 'GET /ready', 'POST /dev/token', 'GET /openapi.json', 'GET /docs', 'GET /docs/:asset'];

let gw: TestGateway;
const callers = {} as Record<Caller, TestUser>;
/** An investigator and the approvers of each unit the matrix uses. */
const unitInvestigator: Record<string, TestUser> = {};
const leagueStepApprover: Record<string, TestUser> = {};
let regionalApprover: TestUser;
const U = { region: '150000', league: '150600', banner: '150627', alxa: '152900' };

function unitFor(caller: Caller, relation: Relation): string {
  const home = CALLERS[caller].unit === 'league' ? U.league : U.region;
  switch (relation) {
    case 'ownInquiry':
    case 'ownUnit':
      return home;
    case 'childUnit':
      return home === U.league ? U.banner : U.league;
    case 'otherLeague':
      return U.alxa;
    case 'region':
      return U.region;
  }
}

beforeAll(async () => {
  // The matrix submits a few hundred inquiries: lift the fair-use limits (tested on their own elsewhere).
  const unlimited = { inquiriesPerDay: 100_000, subjectsPerDay: 100_000 };
  const origin = 'test.qiao/audit';
  const signing = { origin, signer: await noteSigner(origin, newEd25519PrivateKey().export({ format: 'jwk' })) };
  gw = await createTestGateway({
    adjustApprovals: (p) => ({ ...p, fairUse: { ...p.fairUse, perInvestigator: unlimited, perUnit: unlimited } }),
    auditCheckpoints: signing,
  });
  for (const [name, c] of Object.entries(CALLERS)) {
    callers[name as Caller] = await gw.seedUser(c.unit === 'league' ? U.league : U.region, [...c.roles]);
  }
  for (const unit of Object.values(U)) unitInvestigator[unit] = await gw.seedUser(unit, ['investigator']);
  const ordosApprover = await gw.seedUser(U.league, ['approver']);
  leagueStepApprover[U.league] = ordosApprover;
  leagueStepApprover[U.banner] = ordosApprover;
  leagueStepApprover[U.alxa] = await gw.seedUser(U.alxa, ['approver']);
  leagueStepApprover[U.region] = await gw.seedUser(U.region, ['approver']);
  regionalApprover = await gw.seedUser(U.region, ['regional_approver']);
  await gw.db.update(users).set({ department: 'public_security' }).where(eq(users.id, callers.department_operator.id));
  // Two entries and a checkpoint, so the audit routes have something to show and prove.
  for (const department of ['public_security', 'natural_resources']) {
    await gw.db.transaction((tx) => appendAudit(tx, exampleAuditEntry('part.failed', { details: { department } }), gw.audit));
  }
  await createCheckpoint(gw.db, signing);
});
afterAll(() => gw?.close());

const shared = new Map<string, string>();

async function makeInquiry(fixture: Fixture, submitter: TestUser, unit: string): Promise<string> {
  const categories = fixture === 'awaiting-region' ? ['bank_accounts'] : ['household'];
  const body = gw.inquiryBody({ categories, ...(unit !== submitter.unitId ? { onBehalfOf: unit } : {}) });
  const res = await gw.as(submitter).submitInquiry(body);
  expect(res.status, `fixture submission: ${JSON.stringify(res.error)}`).toBe(201);
  const id = res.body.id;
  if (fixture === 'awaiting-region' || fixture === 'with-results') {
    expect((await gw.as(leagueStepApprover[unit]!).approve(id)).status).toBe(200);
  }
  if (fixture === 'with-results') await gw.storeResult(id, 'public_security');
  return id;
}

async function inquiryFor(row: RouteRow, caller: Caller, relation: Relation): Promise<string> {
  const fixture = typeof row.fixture === 'function' ? row.fixture(caller) : row.fixture;
  const unit = unitFor(caller, relation);
  const submitter = relation === 'ownInquiry' ? callers[caller] : unitInvestigator[unit]!;
  if (row.mutates) return makeInquiry(fixture, submitter, unit);
  const key = `${fixture}:${submitter.id}:${unit}`;
  if (!shared.has(key)) shared.set(key, await makeInquiry(fixture, submitter, unit));
  return shared.get(key)!;
}

async function call(route: string, row: RouteRow, caller: Caller, relation: Relation): Promise<boolean> {
  const client = gw.as(callers[caller]);
  const unit = unitFor(caller, relation);
  if (route === 'POST /v1/inquiries') {
    const res = await client.submitInquiry(gw.inquiryBody(unit === callers[caller].unitId ? {} : { onBehalfOf: unit }));
    return verdict(res.status);
  }
  if (route === 'GET /v1/me') return verdict((await client.me()).status);
  if (route === 'GET /v1/catalogue') return verdict((await client.call('readCatalogue')).status);
  if (route === 'GET /v1/departments') return verdict((await client.call('listDepartments')).status);
  if (AUDIT_PATHS[route]) return verdict((await client.request(route.split(' ')[0]!, AUDIT_PATHS[route])).status);
  const id = await inquiryFor(row, caller, relation);
  const [method, template] = route.split(' ') as [string, string];
  if (route === 'GET /v1/inquiries') {
    const res = await client.listInquiries({ limit: '200' });
    if (res.status !== 200) return verdict(res.status);
    return res.body.items.some((i) => i.id === id);
  }
  const path = template.replace(':id', id).replace(':department', 'public_security');
  const json = method === 'POST' ? (route.endsWith('/withdraw') ? {} : { comment: 'matrix' }) : undefined;
  return verdict((await client.request(method, path, json ? { json } : {})).status);
}

function verdict(status: number): boolean {
  if (status >= 200 && status < 300) return true;
  if (status === 403 || status === 404) return false;
  throw new Error(`unexpected status ${status}: the matrix only expects allowed, 403 or 404`);
}

describe.each(Object.entries(MATRIX))('%s', (route, row) => {
  it.each(Object.keys(CALLERS) as Caller[])('as %s', async (caller) => {
    const expected = row.expect[caller].split(' ');
    expect(expected, 'one cell per relation').toHaveLength(RELATIONS.length);
    const got: string[] = [];
    for (const [i, relation] of RELATIONS.entries()) {
      if (expected[i] === '-') {
        got.push('-');
        continue;
      }
      got.push((await call(route, row, caller, relation)) ? 'A' : 'D');
    }
    expect(got.join(' '), `${route} as ${caller} — cells: ${RELATIONS.join(', ')}`).toBe(row.expect[caller]);
  });
});

describe('the matrix', () => {
  it('has a row for every route of the app, and no row for a route that does not exist', () => {
    const routes = new Set(gw.app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`));
    const listed = new Set([...Object.keys(MATRIX), ...PUBLIC_ROUTES]);
    expect([...routes].filter((r) => !listed.has(r)), 'routes missing from the authorization matrix').toEqual([]);
    expect([...listed].filter((r) => !routes.has(r)), 'matrix rows for routes the app does not have').toEqual([]);
  });

  it('leaves the public routes open, and every other route closed without a token', async () => {
    for (const route of PUBLIC_ROUTES.filter((r) => r.startsWith('GET'))) {
      expect((await gw.request('GET', route.split(' ')[1]!.replace(':asset', 'start.js'))).status, route).toBe(200);
    }
    for (const route of Object.keys(MATRIX)) {
      const [method, template] = route.split(' ') as [string, string];
      const path = template.replace(':id', '00000000-0000-4000-8000-000000000000').replace(':department', 'bank');
      expect((await gw.request(method, path)).status, route).toBe(401);
    }
  });
});
