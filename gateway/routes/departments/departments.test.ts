import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DepartmentsView } from '../../../proto/api/departments';
import { users } from '../../db/schema';
import { createDepartmentActivity } from '../../departments/activity';
import { DepartmentCallError, type DepartmentDirectory } from '../../departments/client';
import { createDepartmentHealth } from '../../departments/health';
import { createTestGateway, type TestGateway } from '../../testing/harness';

/** public_security answers Describe, natural_resources is configured but down. */
const directory: DepartmentDirectory = {
  departments: () => ['public_security', 'natural_resources'],
  client: (department) => ({
    department,
    execute: () => {
      throw new Error('not used');
    },
    describe: async () => {
      if (department === 'natural_resources') throw new DepartmentCallError('UNAVAILABLE', 'connection refused', department);
      return { department, displayName: '公安厅 Public Security', version: 'qiao-adapter-kit/0.1.0', categories: [{ name: 'household', fields: ['household_id'] }] };
    },
    close() {},
  }),
  close: async () => undefined,
};

const activity = createDepartmentActivity();
let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway({ departmentHealth: createDepartmentHealth(directory), departmentActivity: activity });
  await gw.db.update(users).set({ department: 'public_security' }).where(eq(users.id, gw.users.departmentOperator.id));
  const at = new Date('2026-12-02T03:00:00Z');
  activity.record({ department: 'public_security', outcome: 'answered', seconds: 0.2, bytes: 4096, at });
  activity.record({ department: 'public_security', outcome: 'refused', refusal: 'approval_rule_unmet', seconds: 0.01, bytes: 0, reason: "public_security refused: the approvals do not meet this department's own minimum rules", at: new Date(at.getTime() + 60_000) });
  activity.record({ department: 'public_security', outcome: 'refused', refusal: 'approval_rule_unmet', seconds: 0.01, bytes: 0, reason: 'x', at: new Date(at.getTime() + 120_000) });
  activity.record({ department: 'natural_resources', outcome: 'transport_error', seconds: 2, bytes: 0, reason: 'transport: natural_resources unreachable', at });
});
afterAll(() => gw?.close());

describe('GET /v1/departments', () => {
  it('shows an auditor every department: health, version, served and catalogue categories, last success and failure, refusals', async () => {
    const res = await gw.as(gw.users.auditor).call('listDepartments');
    expect(res.status).toBe(200);
    const view = res.body as DepartmentsView;
    const byName = Object.fromEntries(view.departments.map((d) => [d.name, d]));
    expect(view.departments.map((d) => d.name)).toEqual([...view.departments.map((d) => d.name)].sort());
    expect(byName.public_security).toMatchObject({
      displayName: '公安厅 Public Security',
      version: 'qiao-adapter-kit/0.1.0',
      health: 'serving',
      servedCategories: ['household'],
      configured: true,
      lastSuccessAt: '2026-12-02T03:00:00.000Z',
      lastFailure: { at: '2026-12-02T03:02:00.000Z', outcome: 'refused' },
      refusals: { approval_rule_unmet: 2 },
      calls: 3,
    });
    expect(byName.public_security!.catalogueCategories).toContain('household_members');
    expect(byName.natural_resources).toMatchObject({ health: 'unreachable', displayName: null, version: null, servedCategories: null, lastSuccessAt: null, lastFailure: { outcome: 'transport_error', reason: 'transport: natural_resources unreachable' } });
    // A department in the catalogue that this gateway has no adapter for.
    expect(byName.finance).toMatchObject({ health: 'not_configured', configured: false, calls: 0, refusals: {} });
  });

  it("shows a department's operator its own department only", async () => {
    const res = await gw.as(gw.users.departmentOperator).call('listDepartments');
    expect(res.status).toBe(200);
    expect((res.body as DepartmentsView).departments.map((d) => d.name)).toEqual(['public_security']);
  });

  it('refuses an investigator, and the refusal is audited', async () => {
    const res = await gw.as(gw.users.investigator).call('listDepartments');
    expect(res.status).toBe(403);
    expect(res.error?.message).toMatch(/auditors, administrators and a department operator/);
  });
});
