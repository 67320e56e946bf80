import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from './testing/harness';

const CONSOLE = 'http://127.0.0.1:8081';
let gw: TestGateway;
let closed: TestGateway;
beforeAll(async () => {
  [gw, closed] = await Promise.all([createTestGateway({ env: { QIAO_CONSOLE_ORIGINS: `${CONSOLE},https://console.ordos.example` } }), createTestGateway()]);
}, 120_000);
afterAll(async () => {
  await gw?.close();
  await closed?.close();
});

const preflight = (origin: string) => ({
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
});

describe('CORS for the units\' web consoles', () => {
  it('lets a configured console origin send the bearer token and read the answer', async () => {
    const pre = await gw.app.request('/v1/inquiries', preflight(CONSOLE));
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const res = await gw.as(gw.users.investigator).request('GET', '/v1/me', { headers: { origin: CONSOLE } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(CONSOLE);
    // A result download's checks need these headers in the page.
    expect(res.headers.get('access-control-expose-headers')).toContain('x-qiao-sha256');
  });

  it('gives any other origin nothing to read, and no credentials mode to anyone', async () => {
    const pre = await gw.app.request('/v1/inquiries', preflight('https://evil.example'));
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const res = await gw.as(gw.users.investigator).request('GET', '/v1/me', { headers: { origin: 'http://127.0.0.1:9999' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('allows no origin at all when none is configured', async () => {
    const pre = await closed.app.request('/v1/inquiries', preflight(CONSOLE));
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });
});
