import { asc, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLogEntries } from '../../db/schema';
import { auditLogIsWhole } from '../../testing/audit-entries';
import { createTestGateway, type TestGateway } from '../../testing/harness';
import { currentTreeSize } from './log-store';

/**
 * The writes that carry their audit entry in their own statement (a submission, a decision, a
 * download's entry) when the tree row's kept frontier does not fit its size — an older row: the
 * entry is still appended, in order, and the log stays whole.
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway();
});
afterAll(async () => {
  await gw?.close();
});

async function misfitFrontier(): Promise<number> {
  await gw.db.execute(sql`UPDATE audit_log_tree SET frontier = '\\x'::bytea`);
  return currentTreeSize(gw.db);
}

async function actionsFrom(size: number): Promise<string[]> {
  expect(await auditLogIsWhole(gw.db)).toBe(true);
  const rows = await gw.db.select().from(auditLogEntries).orderBy(asc(auditLogEntries.idx));
  return rows.filter((r) => r.idx >= size).map((r) => r.action);
}

describe('audited statements on a tree row whose frontier does not fit', () => {
  it('a submission, an approval and a download each still append their entry', async () => {
    let size = await misfitFrontier();
    const submitted = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody());
    expect(submitted.status).toBe(201);
    expect(await actionsFrom(size)).toEqual(['inquiry.submitted']);

    size = await misfitFrontier();
    expect((await gw.as(gw.users.approver).approve(submitted.body.id)).status).toBe(200);
    expect(await actionsFrom(size)).toEqual(['inquiry.approved']);

    await gw.storeResult(submitted.body.id, 'public_security', { records: 1, recordBytes: 10 });
    size = await misfitFrontier();
    expect((await gw.as(gw.users.investigator).download(submitted.body.id, 'public_security')).status).toBe(200);
    expect(await actionsFrom(size)).toEqual(['result.downloaded']);
  });
});
