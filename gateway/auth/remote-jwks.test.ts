import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestGateway, type TestGateway } from '../testing/harness';
import { TEST_AUDIENCE, TEST_ISSUER } from '../testing/test-issuer';
import { createTokenVerifier } from './verify-token';

/** A gateway whose issuer keys come from the issuer's JWKS URL, through the whole HTTP app. */
let gw: TestGateway;
let server: Server;
let up = true;
beforeAll(async () => {
  let jwks = '';
  server = createServer((_req, res) => {
    if (!up) return void res.writeHead(503).end('maintenance');
    res.writeHead(200, { 'content-type': 'application/json' }).end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`);
  gw = await createTestGateway({ tokens: createTokenVerifier({ jwks: { url, cooldownMs: 0, cacheMaxAgeMs: 0 }, issuer: TEST_ISSUER, audience: TEST_AUDIENCE }) });
  jwks = JSON.stringify(gw.tokens.publicJwks);
});
afterAll(async () => {
  await gw?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('issuer keys from a JWKS URL', () => {
  it('authenticates with the fetched keys, and answers 503 — not 401 — while the issuer’s keys cannot be fetched', async () => {
    expect((await gw.as(gw.users.investigator).me()).status).toBe(200);
    up = false;
    // A token already verified keeps its principal for its lifetime; a new one needs the keys.
    expect((await gw.as(gw.users.investigator).me()).status).toBe(200);
    const fresh = await gw.tokens.mint(gw.users.investigator.username, { expiresIn: 1800 }); // not byte-equal to the first
    const res = await gw.as(fresh).me();
    expect(res.status).toBe(503);
    expect(res.error?.message).toMatch(/^the token issuer's keys cannot be fetched from http:\/\/127\.0\.0\.1:\d+ right now; try again shortly$/);
    up = true;
    expect((await gw.as(fresh).me()).status).toBe(200);
  });
});
