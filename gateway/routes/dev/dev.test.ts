import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../../testing/harness';

let dev: TestGateway;
let prod: TestGateway;
beforeAll(async () => {
  dev = await createTestGateway({ mode: 'development' });
  prod = await createTestGateway({ mode: 'production', database: dev.database });
});
afterAll(async () => {
  await prod?.close();
  await dev?.close();
});

describe('POST /dev/token', () => {
  it('mints a working token for a directory user in development mode', async () => {
    const res = await dev.request<{ token: string; expiresAt: string }>('POST', '/dev/token', {
      json: { username: dev.users.approver.username },
    });
    expect(res.status).toBe(200);
    expect(Date.parse(res.body.expiresAt)).toBeGreaterThan(Date.now());
    const me = await dev.as(res.body.token).me();
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe(dev.users.approver.username);
    expect(dev.logs.join('\n')).not.toContain(res.body.token);
  });

  it('mints nothing for users the directory does not know', async () => {
    const res = await dev.request('POST', '/dev/token', { json: { username: 'mallory' } });
    expect(res.status).toBe(404);
    expect(res.error?.message).toBe('no user "mallory" in the directory');
    const bad = await dev.request('POST', '/dev/token', { json: { user: 'x' } });
    expect(bad.status).toBe(400);
  });

  it('does not exist in production mode', async () => {
    const res = await prod.request('POST', '/dev/token', { json: { username: prod.users.approver.username } });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: { code: 'not_found', message: 'no route for POST /dev/token', requestId: res.headers.get('x-request-id') },
    });
    // The rest of the production gateway works.
    expect((await prod.as(prod.users.approver).me()).status).toBe(200);
  });
});
