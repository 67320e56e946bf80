import { cp, mkdtemp, appendFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema';
import type { CatalogueView } from '../../../proto/api/catalogue';
import { DepartmentCallError, type DepartmentDirectory } from '../../departments/client';
import { createDepartmentHealth } from '../../departments/health';
import { createTestGateway, REPO_POLICY_DIR, type TestGateway } from '../../testing/harness';

/** public_security answers, natural_resources is configured but down, the others are not configured. */
const directory: DepartmentDirectory = {
  departments: () => ['public_security', 'natural_resources'],
  client: (department) => ({
    department,
    execute: () => { throw new Error('not used'); },
    describe: async () => {
      if (department === 'natural_resources') throw new DepartmentCallError('UNAVAILABLE', 'connection refused', department);
      return { department, displayName: '公安厅 Public Security', categories: [] };
    },
    close() {},
  }),
  close: async () => undefined,
};

let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway({ departmentHealth: createDepartmentHealth(directory) });
});
afterAll(() => gw?.close());

const read = async (who = gw.users.investigator) => {
  const res = await gw.as(who).call('readCatalogue');
  expect(res.status).toBe(200);
  return res.body as CatalogueView;
};

describe('GET /v1/catalogue', () => {
  it('lists every category with its department, fields, sensitivity and the approvals it needs', async () => {
    const { categories } = await read();
    const byName = Object.fromEntries(categories.map((c) => [c.name, c]));
    expect(byName.subsidies).toMatchObject({ department: 'finance', sensitivity: 'standard', approvalChain: [{ role: 'approver', at: 'league', count: 1 }] });
    expect(byName.subsidies!.fields).toContain('declared_area_mu');
    expect(byName.public_officials).toMatchObject({ department: 'organisation', sensitivity: 'sensitive' });
    expect(byName.bank_transactions!.approvalChain).toEqual([
      { role: 'approver', at: 'league', count: 1 },
      { role: 'regional_approver', at: 'region', count: 2 },
    ]);
    expect(categories.map((c) => c.name)).toEqual([...categories.map((c) => c.name)].sort());
  });

  it("says for each department whether its adapter answers now, and which categories it holds", async () => {
    const { departments } = await read();
    const byName = Object.fromEntries(departments.map((d) => [d.name, d]));
    expect(byName.public_security).toMatchObject({ health: 'serving', displayName: '公安厅 Public Security', categories: ['household', 'household_members'] });
    expect(byName.natural_resources).toMatchObject({ health: 'unreachable', displayName: null });
    expect(byName.finance).toMatchObject({ health: 'not_configured', categories: ['subsidies'] });
  });

  it('is readable by every signed-in user, whatever the role, and by nobody without a token', async () => {
    for (const who of [gw.users.approver, gw.users.auditor, gw.users.departmentOperator]) expect((await read(who)).categories.length).toBeGreaterThan(5);
    expect((await gw.as(null).call('readCatalogue')).status).toBe(401);
  });
});

describe('GET /v1/catalogue under an edited policy', () => {
  it('is refused 403 where a forbid says so, naming the policy, and the refusal is audited', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qiao-policies-'));
    await cp(REPO_POLICY_DIR, dir, { recursive: true });
    await appendFile(join(dir, 'results-and-oversight.cedar'), `
// Department operators see their own department's data flow, not what others hold.
@id("operators-do-not-read-catalogue")
@reason("the catalogue is for the units that ask, not for department operators")
forbid (principal, action == Action::"read_catalogue", resource)
when { principal.roles.contains("department_operator") };
`);
    const edited = await createTestGateway({ policyDir: dir });
    try {
      const refused = await edited.as(edited.users.departmentOperator).call('readCatalogue');
      expect(refused.status).toBe(403);
      expect(JSON.stringify(refused.body)).toContain('the catalogue is for the units that ask, not for department operators');
      const entries = await edited.db.select().from(auditEvents).where(eq(auditEvents.action, 'authorization.denied'));
      expect(entries.map((e) => e.details)).toEqual([expect.objectContaining({ attempted: 'catalogue.read', policyIds: ['operators-do-not-read-catalogue'] })]);
      expect((await edited.as(edited.users.investigator).call('readCatalogue')).status).toBe(200);
    } finally {
      await edited.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
