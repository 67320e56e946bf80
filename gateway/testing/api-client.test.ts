import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ContractViolation } from '../../proto/api';
import { request } from './api-client';

/**
 * The contract check of the test transport, against a stand-in gateway that answers wrongly on
 * purpose: if these did not throw, the route tests' silence about schemas would prove nothing.
 */
const me = { user: { id: 'u1', username: 'li', displayName: 'Li', roles: ['investigator'], department: null }, unit: { id: '150627', name: 'Ejin Horo Banner', nameZh: '伊金霍洛旗', level: 'banner' } };
const envelope = (code: string) => ({ error: { code, message: 'm', requestId: 'r' } });

function gatewayAnswering(answer: (c: import('hono').Context) => Response | Promise<Response>) {
  return new Hono().all('*', answer);
}

async function violation(app: Hono, method: string, path: string): Promise<ContractViolation> {
  const err = await request(app, method, path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ContractViolation);
  return err as ContractViolation;
}

describe('the test transport checks every answer against proto/api', () => {
  it('passes an answer that matches its endpoint', async () => {
    const res = await request(gatewayAnswering((c) => c.json(me)), 'GET', '/v1/me');
    expect(res.body).toEqual(me);
  });

  it('refuses a field of the wrong type, naming it', async () => {
    const err = await violation(gatewayAnswering((c) => c.json({ ...me, user: { ...me.user, roles: 'investigator' } })), 'GET', '/v1/me');
    expect(err.message).toMatch(/^GET \/v1\/me answered 200 in breach of the API contract \(proto\/api\): user\.roles: /);
  });

  it('refuses a field the schema does not name', async () => {
    const err = await violation(gatewayAnswering((c) => c.json({ ...me, unit: { ...me.unit, secret: 'x' } })), 'GET', '/v1/me');
    expect(err.issues).toEqual([{ path: 'unit.secret', message: expect.stringMatching(/does not name/) }]);
  });

  it('refuses a status the endpoint does not declare, and an error that is not the envelope', async () => {
    expect((await violation(gatewayAnswering((c) => c.json(envelope('conflict'), 409)), 'GET', '/v1/me')).message).toMatch(/status 409 is not one the endpoint declares/);
    const err = await violation(gatewayAnswering((c) => c.json({ message: 'no token' }, 401)), 'GET', '/v1/inquiries/x');
    expect(err.issues.map((i) => i.path)).toContain('error');
  });

  it('refuses a download without its x-qiao headers, and an answer for a path the API does not have', async () => {
    const bare = gatewayAnswering((c) => c.body(new Uint8Array([1, 2]), 200, { 'content-type': 'application/octet-stream' }));
    const err = await violation(bare, 'GET', '/v1/inquiries/i/results/bank');
    expect(err.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['header x-qiao-sha256', 'header x-qiao-warrant-id']));
    expect((await violation(gatewayAnswering((c) => c.json({})), 'GET', '/v1/undescribed')).message).toMatch(/status 200 is not one the endpoint declares \(404\)/);
  });
});
