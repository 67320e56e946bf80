import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../db/client';
import { createTestGateway, type TestGateway } from '../../testing/harness';

/**
 * What a read asks of the database, counted at the embedded PostgreSQL's `query` (every statement
 * drizzle sends goes through it): one statement per read, whatever the inquiry holds.
 */
let database: Database;
let gw: TestGateway;
let sent: string[] = [];
let approved: string;
let rejected: string;

beforeAll(async () => {
  const pglite = new PGlite();
  const query = pglite.query.bind(pglite);
  pglite.query = ((text: string, ...rest: unknown[]) => {
    sent.push(text);
    return (query as (...a: unknown[]) => unknown)(text, ...rest);
  }) as typeof pglite.query;
  database = await openDatabase({ pglite });
  gw = await createTestGateway({ database });
  const inv = gw.as(gw.users.investigator);
  approved = (await inv.submitInquiry(gw.inquiryBody({ categories: ['household', 'grassland_contracts'] }))).body.id;
  expect((await gw.as(gw.users.approver).approve(approved)).status).toBe(200);
  await gw.storeResult(approved, 'public_security', { records: 2, recordBytes: 100 });
  rejected = (await inv.submitInquiry(gw.inquiryBody())).body.id;
  expect((await gw.as(gw.users.approver).reject(rejected)).status).toBe(200);
});
afterAll(async () => {
  await gw?.close();
  await database?.close();
});

/** The statements `request` sent, less the directory cache's digest check (at most once a second, in the background). */
async function statementsOf(request: () => Promise<{ status: number }>): Promise<string[]> {
  sent = [];
  const res = await request();
  expect(res.status).toBe(200);
  return sent.filter((text) => !/md5\(/.test(text));
}

describe('reads cost one statement', () => {
  it('GET /v1/inquiries/:id, with its decision, parts and creator', async () => {
    const statements = await statementsOf(() => gw.as(gw.users.investigator).getInquiry(approved));
    expect(statements).toHaveLength(1);
  });

  it('GET /v1/inquiries, with every listed inquiry’s view', async () => {
    const statements = await statementsOf(() => gw.as(gw.users.approver).listInquiries());
    expect(statements).toHaveLength(1);
  });

  it('GET /v1/inquiries/:id/results', async () => {
    const statements = await statementsOf(() => gw.as(gw.users.investigator).results(approved));
    expect(statements).toHaveLength(1);
  });

  it('GET /v1/inquiries/:id/events: the first event is the read that authorized the stream', async () => {
    const statements = await statementsOf(async () => {
      const res = await gw.app.request(`/v1/inquiries/${rejected}/events`, { headers: { authorization: `Bearer ${gw.users.investigator.token}` } });
      const text = await res.text(); // a rejected inquiry is final: one event and the stream ends
      expect(text.match(/^event: inquiry$/gm)).toHaveLength(1);
      return res;
    });
    expect(statements).toHaveLength(1);
  });
});

describe('a download', () => {
  it('is authorized and read in one statement; then only its audit entry (one statement, committed alone) and the ciphertext', async () => {
    const statements = await statementsOf(() => gw.as(gw.users.investigator).download(approved, 'public_security'));
    const others = statements.filter((text) => !/"result_chunks"/.test(text));
    expect(others).toHaveLength(2);
    expect(others[0]).toMatch(/from "inquiries"/);
    expect(others[1]).toMatch(/qiao_audit_append_strict/);
  });
});
