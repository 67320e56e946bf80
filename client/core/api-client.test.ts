import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createApiClient, type FetchLike } from './api-client';

/**
 * The client against a stand-in gateway: a fetch that answers what each test needs, right or
 * wrong on purpose. The real gateway is driven through this client by the whole-federation tests.
 */
const me = { user: { id: 'u1', username: 'li', displayName: 'Li', roles: ['investigator'], department: null }, unit: { id: '150627', name: 'Ejin Horo Banner', nameZh: '伊金霍洛旗', level: 'banner' } };
const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'x-request-id': 'req-1', ...headers } });

function gateway(answer: (url: URL, init: RequestInit) => Response) {
  const seen: { url: URL; init: RequestInit }[] = [];
  const fetch: FetchLike = (url, init) => {
    seen.push({ url: new URL(url), init });
    return answer(new URL(url), init);
  };
  return { seen, client: createApiClient({ baseUrl: 'http://gateway.test', token: 'tok', fetch }) };
}

const failure = (p: Promise<unknown>) => p.then(() => expect.unreachable('the call should fail'), (e: unknown) => e as ApiError);

describe('createApiClient', () => {
  it('returns an answer that matches the contract, sending the token only where the endpoint needs one', async () => {
    const { client, seen } = gateway((url) => (url.pathname === '/v1/me' ? json(me) : json({ status: 'ok' })));
    expect(await client.me()).toEqual(me);
    expect(await client.health()).toEqual({ status: 'ok' });
    expect(new Headers(seen[0]!.init.headers).get('authorization')).toBe('Bearer tok');
    expect(new Headers(seen[1]!.init.headers).get('authorization')).toBeNull();
  });

  it('refuses an answer that does not match, naming the route and the field', async () => {
    const { client } = gateway(() => json({ ...me, unit: { ...me.unit, level: 'province' } }));
    const err = await failure(client.me());
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 200, code: 'invalid_response', requestId: 'req-1' });
    expect(err.message).toMatch(/^GET \/v1\/me answered 200 in breach of the API contract \(proto\/api\): unit\.level: /);
  });

  it('turns the error envelope into ApiError with its details, and says what came when it is not one', async () => {
    const details = [{ path: 'subjects[0].id', message: 'has check character 5, expected 4' }];
    const { client } = gateway((url) =>
      url.pathname === '/v1/inquiries'
        ? json({ error: { code: 'invalid_argument', message: 'subjects[0].id: has check character 5, expected 4', requestId: 'req-2', details } }, 400)
        : new Response('<html>bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }),
    );
    expect(await failure(client.submitInquiry({ caseReference: 'c', legalBasis: 'b', purpose: 'p', subjects: [], categories: [] }))).toMatchObject({
      status: 400,
      code: 'invalid_argument',
      requestId: 'req-2',
      details,
    });
    expect(await failure(client.getInquiry('x'))).toMatchObject({ status: 502, code: 'http_error', message: 'the gateway answered HTTP 502 to GET /v1/inquiries/{id}: <html>bad gateway</html>' });
  });

  it('fills path parameters encoded, and drops absent query fields', async () => {
    const { client, seen } = gateway(() => json({ items: [] }));
    await client.listInquiries({ state: 'approved' });
    await failure(client.getInquiry('a/b?c'));
    expect(seen.map((s) => `${s.url.pathname}${s.url.search}`)).toEqual(['/v1/inquiries?state=approved', '/v1/inquiries/a%2Fb%3Fc']);
  });

  it('hands a download over as the stream it is, with the headers the contract names checked', async () => {
    const headers = {
      'content-type': 'application/octet-stream',
      'content-length': '3',
      'content-disposition': 'attachment',
      'x-qiao-format': 'qiao-stream-v1',
      'x-qiao-sha256': 'ab'.repeat(32),
      'x-qiao-records': '7',
      'x-qiao-warrant-id': 'w-1',
    };
    const ok = gateway(() => new Response(new Uint8Array([1, 2, 3]), { headers }));
    const download = await ok.client.downloadResult('i', 'bank');
    expect(download).toMatchObject({ format: 'qiao-stream-v1', records: 7, bytes: 3, warrantId: 'w-1', sha256: 'ab'.repeat(32) });
    expect(download.body).toBeInstanceOf(ReadableStream);
    expect(new Uint8Array(await new Response(download.body).arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));

    const { 'x-qiao-sha256': _, ...withoutDigest } = headers;
    const bare = gateway(() => new Response(new Uint8Array([1]), { headers: withoutDigest }));
    expect((await failure(bare.client.downloadResult('i', 'bank'))).message).toMatch(/header x-qiao-sha256: /);
  });

  it('says plainly when the gateway cannot be reached', async () => {
    const client = createApiClient({ baseUrl: 'http://gateway.test', fetch: () => Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })) });
    expect(await failure(client.health())).toMatchObject({ status: 0, code: 'unreachable', message: expect.stringMatching(/^cannot reach the gateway at http:\/\/gateway\.test \(ECONNREFUSED\)/) });
  });
});

/**
 * A connection that drops before any answer — a kept-alive one the gateway closed as idle just
 * as the client reused it — against a real loopback server that drops the first requests of a
 * path (closes the socket, or resets it) and answers the next one.
 */
describe('createApiClient when the connection drops before an answer', () => {
  let server: Server;
  let baseUrl: string;
  /** Per path: how many requests to drop, and how many arrived. */
  const plan = new Map<string, { drop: number; reset?: boolean; seen: number }>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = new URL(req.url!, 'http://x').pathname;
      const step = plan.get(path) ?? { drop: 0, seen: 0 };
      step.seen++;
      if (step.seen <= step.drop) {
        if (step.reset) req.socket.resetAndDestroy();
        else req.socket.destroy();
        return;
      }
      res.setHeader('content-type', 'application/json');
      if (path === '/health') return void res.end(JSON.stringify({ status: 'ok' }));
      res.statusCode = 403;
      res.end(JSON.stringify({ error: { code: 'permission_denied', message: 'you have already decided this inquiry; each approval must come from a different person', requestId: 'req-9' } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const expecting = (path: string, drop: number, reset = false) => {
    const step = { drop, reset, seen: 0 };
    plan.set(path, step);
    return step;
  };
  const signed = { comment: 'ok', signed: { decision: 'a.b.c', certificate: 'd.e.f' } };

  it('sends a read again at once, on a closed or a reset connection', async () => {
    const client = createApiClient({ baseUrl });
    const closed = expecting('/health', 2);
    expect(await client.health()).toEqual({ status: 'ok' });
    expect(closed.seen).toBe(3);
    const reset = expecting('/health', 1, true);
    expect(await client.health()).toEqual({ status: 'ok' });
    expect(reset.seen).toBe(2);
  });

  it('gives a read up after three dropped connections, saying the gateway cannot be reached', async () => {
    const step = expecting('/health', 3);
    expect(await failure(createApiClient({ baseUrl }).health())).toMatchObject({ status: 0, code: 'unreachable', message: expect.stringContaining('(UND_ERR_SOCKET)') });
    expect(step.seen).toBe(3);
  });

  it('sends a signed decision once more, and says that a refusal of the retry may be of its own first attempt', async () => {
    const step = expecting('/v1/inquiries/i-1/approve', 1);
    const err = await failure(createApiClient({ baseUrl, token: 'tok' }).approve('i-1', signed));
    expect(step.seen).toBe(2);
    expect(err).toMatchObject({ status: 403, code: 'permission_denied', requestId: 'req-9' });
    expect(err.message).toMatch(/^you have already decided this inquiry; .* \(the connection dropped before the gateway answered the first attempt, .*the first may have been applied/);
  });

  it('sends a signed write only twice in all', async () => {
    const step = expecting('/v1/inquiries/i-2/reject', 2, true);
    expect(await failure(createApiClient({ baseUrl, token: 'tok' }).reject('i-2', signed))).toMatchObject({ status: 0, code: 'unreachable', message: expect.stringContaining('(ECONNRESET)') });
    expect(step.seen).toBe(2);
  });

  it('never sends an unsigned write again', async () => {
    const client = createApiClient({ baseUrl, token: 'tok' });
    const withdraw = expecting('/v1/inquiries/i-3/withdraw', 1);
    expect(await failure(client.withdraw('i-3', { reason: 'typo' }))).toMatchObject({ status: 0, code: 'unreachable' });
    expect(withdraw.seen).toBe(1);
    const unsigned = expecting('/v1/inquiries/i-4/approve', 1);
    expect(await failure(client.approve('i-4', { comment: 'ok' }))).toMatchObject({ status: 0, code: 'unreachable' });
    expect(unsigned.seen).toBe(1);
  });
});
