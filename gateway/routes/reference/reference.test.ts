import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENDPOINT_LIST, OpenApiDocument } from '../../../proto/api';
import { createApp } from '../../app';
import { createDevIssuer } from '../../auth/dev-issuer';
import { createTokenVerifier } from '../../auth/verify-token';
import { request } from '../../testing/api-client';
import { createTestGateway, type TestGateway } from '../../testing/harness';
import { TEST_AUDIENCE, TEST_ISSUER } from '../../testing/test-issuer';
import { jwkPair, newEd25519PrivateKey } from '../../../proto/node/keys';

let gw: TestGateway;
/** An app with every optional route mounted: development mode's token route and the warrant JWKS. */
let full: ReturnType<typeof createApp>;

beforeAll(async () => {
  gw = await createTestGateway();
  full = createApp({
    config: gw.config,
    db: gw.db,
    logger: gw.logger,
    catalogue: gw.catalogue,
    policy: gw.policy,
    approvals: gw.approvals,
    audit: gw.audit,
    tokens: createTokenVerifier({ jwks: gw.tokens.publicJwks, issuer: TEST_ISSUER, audience: TEST_AUDIENCE }),
    devIssuer: await createDevIssuer({ privateJwk: gw.tokens.privateJwk, issuer: TEST_ISSUER, audience: TEST_AUDIENCE }),
    fanout: gw.fanout,
    results: { openResultStream: () => (async function* () {})() },
    warrantJwks: { keys: [{ ...jwkPair(newEd25519PrivateKey()).publicJwk, kid: 'w1', alg: 'EdDSA' }] },
  });
});
afterAll(() => gw?.close());

const operations = (doc: OpenApiDocument) =>
  Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`));

describe('GET /openapi.json', () => {
  it('describes every route the app serves, and only those, as the contract states them', async () => {
    const res = await request<OpenApiDocument>(full, 'GET', '/openapi.json');
    expect(res.status).toBe(200);
    // hono's own list of what it routes: a route added without its contract endpoint shows here.
    const routed = [...new Set(full.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`))];
    const documented = operations(res.body);
    expect(routed.filter((r) => !documented.includes(r)), 'routes missing from /openapi.json').toEqual([]);
    expect(documented.filter((d) => !routed.includes(d)), 'documented operations the app does not route').toEqual([]);
    expect(documented.sort()).toEqual(ENDPOINT_LIST.map((e) => `${e.method.toUpperCase()} ${e.path}`).sort());
  });

  it('is OpenAPI 3.1 with the bearer scheme on every /v1 operation, and the error envelope as a component', async () => {
    const doc = (await request<Record<string, any>>(full, 'GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.tags.map((t: { name: string }) => t.name).slice(0, 3)).toEqual(['inquiries', 'results', 'audit']);
    expect(doc.components.schemas.ErrorEnvelope.properties.error.properties.code.enum).toContain('invalid_argument');
    for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, op] of Object.entries<Record<string, any>>(item)) {
        expect(op.security, `${method} ${path}`).toEqual(path.startsWith('/v1/') ? [{ bearer: [] }] : []);
        const errors = Object.entries<Record<string, any>>(op.responses).filter(([status]) => Number(status) >= 400 && !(path === '/ready' && status === '503'));
        for (const [status, answer] of errors) {
          expect(answer.content['application/json'].schema, `${method} ${path} ${status}`).toEqual({ $ref: '#/components/schemas/ErrorEnvelope' });
        }
      }
    }
    const submit = doc.paths['/v1/inquiries'].post;
    expect(submit.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/SubmitInquiry' });
    expect(doc.components.schemas.SubmitInquiry.properties.onBehalfOf.pattern).toBe('^\\d{6}$');
    expect(Object.keys(doc.paths['/v1/inquiries/{id}/results/{department}'].get.responses['200'].headers)).toEqual(
      expect.arrayContaining(['x-qiao-format', 'x-qiao-sha256', 'x-qiao-records', 'x-qiao-warrant-id']),
    );
  });

  it('is public, like the reference page', async () => {
    for (const path of ['/openapi.json', '/docs', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/docs/start.js']) expect((await request(gw.app, 'GET', path)).status, path).toBe(200);
  });
});

describe('GET /docs', () => {
  it('is a page whose only script is the one the gateway serves, under a policy that allows nothing else', async () => {
    const page = await request(gw.app, 'GET', '/docs');
    const html = new TextDecoder().decode(page.bytes);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect([...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1])).toEqual(['/docs/swagger-ui-bundle.js', '/docs/start.js']);
    expect([...html.matchAll(/<script(?![^>]*src=)[^>]*>/g)]).toEqual([]); // no inline script
    expect(html).not.toMatch(/https?:\/\//);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');

    const bundle = await request(gw.app, 'GET', '/docs/swagger-ui-bundle.js');
    expect(bundle.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(bundle.bytes.byteLength).toBeGreaterThan(100_000);
    expect((await request(gw.app, 'GET', '/docs/swagger-ui.css')).headers.get('content-type')).toMatch(/^text\/css/);
    // The start script mounts Swagger UI on the page's element with this gateway's own document.
    const start = new TextDecoder().decode((await request(gw.app, 'GET', '/docs/start.js')).bytes);
    expect(start).toContain("url: '/openapi.json'");
    expect(start).toContain("dom_id: '#api-reference'");
    expect(html).toContain('id="api-reference"');
    // Only the listed files: nothing else of node_modules is reachable.
    expect((await request(gw.app, 'GET', '/docs/package.json')).status).toBe(400);
  });
});
