import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from './testing/harness';

let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway();
});
afterAll(() => gw?.close());

describe('createApp', () => {
  it('gives every response its own request id, ignoring one sent by the client', async () => {
    const first = await gw.request('GET', '/health', { headers: { 'x-request-id': 'trace-42' } });
    const second = await gw.request('GET', '/health');
    expect(first.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(first.headers.get('x-request-id')).not.toBe(second.headers.get('x-request-id'));
  });

  it('answers unknown routes with the envelope', async () => {
    const res = await gw.as(gw.users.investigator).request('GET', '/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.error).toEqual({ code: 'not_found', message: 'no route for GET /v1/nothing-here', requestId: res.headers.get('x-request-id') });
  });

  it('marks API responses as not to be cached', async () => {
    const res = await gw.as(gw.users.investigator).me();
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    // Plain loopback HTTP: no HSTS, which only an HTTPS origin may say (tests/https.test.ts).
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('names a department operator\'s department in /v1/me, and no department for anyone else', async () => {
    const operator = gw.users.departmentOperator;
    await gw.db.execute(sql`update users set department = 'finance' where id = ${operator.id}`);
    const res = await gw.as(operator).me();
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ username: operator.username, roles: ['department_operator'], department: 'finance' });
    expect((await gw.as(gw.users.investigator).me()).body.user.department).toBeNull();
  });

  it('turns a raw database error into an opaque 500 with the request id, logged by its code without SQL text or parameters', async () => {
    const subjectId = '150627196803120034';
    const submitted = await gw.as(gw.users.investigator).submitInquiry(
      gw.inquiryBody({ subjects: [{ kind: 'person', id: subjectId }] }),
    );
    expect(submitted.status).toBe(201);
    // Break the schema under the running app: reading decisions now fails inside the driver.
    await gw.db.execute(sql`alter table inquiry_decisions rename to inquiry_decisions_gone`);
    try {
      const res = await gw.as(gw.users.investigator).getInquiry(submitted.body.id);
      expect(res.status).toBe(500);
      const requestId = res.headers.get('x-request-id');
      expect(res.body).toEqual({
        error: { code: 'internal', message: 'internal error; quote the request id when reporting it', requestId },
      });
      const text = new TextDecoder().decode(res.bytes);
      for (const leak of ['select', 'inquiry_decisions', 'relation', 'does not exist', 'stack', subjectId]) {
        expect(text.toLowerCase()).not.toContain(leak);
      }
      const logged = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'unhandled error');
      expect(logged).toMatchObject({ level: 50, requestId, failure: { type: 'DrizzleQueryError', database: { code: '42P01', severity: 'ERROR' } } });
      // Neither the SQL text nor the driver's message (which can quote a value) is logged.
      expect(JSON.stringify(logged)).not.toMatch(/select|from "|does not exist/i);
      expect(JSON.stringify(logged)).not.toContain(subjectId);
      expect(JSON.stringify(logged)).not.toContain(submitted.body.id);
    } finally {
      await gw.db.execute(sql`alter table inquiry_decisions_gone rename to inquiry_decisions`);
    }
  });

  it('answers 503 with Retry-After, not 500, when the database cannot be reached for the moment, and logs it by its code', async () => {
    const submitted = await gw.as(gw.users.investigator).submitInquiry(gw.inquiryBody());
    expect(submitted.status).toBe(201);
    // Reading decisions now meets what a server starting up answers (SQLSTATE 57P03), through the real driver.
    await gw.db.execute(sql`alter table inquiry_decisions rename to inquiry_decisions_away`);
    await gw.db.execute(sql.raw(`create function qiao_test_starting_up() returns setof inquiry_decisions_away language plpgsql as $$ begin raise exception 'the database system is starting up' using errcode = '57P03'; end $$`));
    await gw.db.execute(sql`create view inquiry_decisions as select * from qiao_test_starting_up()`);
    try {
      const res = await gw.as(gw.users.investigator).getInquiry(submitted.body.id);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.body).toMatchObject({ error: { code: 'unavailable', message: expect.stringMatching(/cannot reach its database.*try again/) } });
      const logged = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'database unavailable');
      expect(logged).toMatchObject({ level: 40, failure: { database: { code: '57P03' } } });
    } finally {
      await gw.db.execute(sql`drop view inquiry_decisions`);
      await gw.db.execute(sql`drop function qiao_test_starting_up()`);
      await gw.db.execute(sql`alter table inquiry_decisions_away rename to inquiry_decisions`);
    }
  });
});
