import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../../testing/harness';

let gw: TestGateway;
beforeAll(async () => {
  gw = await createTestGateway();
});
afterAll(() => gw?.close());

describe('health', () => {
  it('answers /health and /ready without authentication', async () => {
    expect((await gw.request('GET', '/health')).body).toEqual({ status: 'ok' });
    const ready = await gw.request('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
  });

  it('is not ready when the database is gone', async () => {
    const gone = await createTestGateway();
    await gone.close();
    const res = await gone.request('GET', '/ready');
    expect(res.status).toBe(503);
    expect((await gone.request('GET', '/health')).status).toBe(200);
  });
});
