import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createApiClient } from '../core/api-client';
import { BUFFERED_BODY_BYTES, nodeFetch } from './http-transport';

/**
 * The command line's transport against a real loopback server: what the client core needs of a
 * fetch — answers, streamed bodies, kept-alive connections, and failures told apart as fetch's are.
 */
const run = promisify(execFile);
let server: Server;
let baseUrl: string;
let route: (req: IncomingMessage, res: ServerResponse, body: string) => void = () => {};
const sockets = new Set<Socket>();
let connections = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => route(req, res, body));
  });
  server.on('connection', (socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const json = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-request-id': 'req-7' });
  res.end(text);
};
const failure = (p: Promise<unknown>) => p.then(() => expect.unreachable('the call should fail'), (e: unknown) => e);

describe('nodeFetch', () => {
  it('sends the method, headers and body, and answers with status, headers and body, over one kept-alive connection', async () => {
    const seen: { method?: string; auth?: string; type?: string; body: string }[] = [];
    route = (req, res, body) => {
      seen.push({ method: req.method, auth: req.headers.authorization, type: req.headers['content-type'], body });
      json(res, 201, { echoed: body.length });
    };
    const fetch = nodeFetch();
    const before = connections;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${baseUrl}/echo`, { method: 'POST', headers: { authorization: 'Bearer tok', 'content-type': 'application/json' }, body: '{"a":1}' });
      expect(res.status).toBe(201);
      expect(res.ok).toBe(true);
      expect(res.headers.get('x-request-id')).toBe('req-7');
      expect(JSON.parse(await res.text())).toEqual({ echoed: 7 });
    }
    expect(seen).toEqual(Array(3).fill({ method: 'POST', auth: 'Bearer tok', type: 'application/json', body: '{"a":1}' }));
    expect(connections - before).toBe(1);
  });

  it('is what createApiClient needs: contract-checked answers and the error envelope as ApiError', async () => {
    const me = { user: { id: 'u1', username: 'li', displayName: 'Li', roles: ['investigator'], department: null }, unit: { id: '150627', name: 'Ejin Horo Banner', nameZh: '伊金霍洛旗', level: 'banner' } };
    route = (req, res) =>
      req.url === '/v1/me' ? json(res, 200, me) : json(res, 404, { error: { code: 'not_found', message: 'inquiry not found', requestId: 'req-8' } });
    const client = createApiClient({ baseUrl, token: 'tok', fetch: nodeFetch() });
    expect(await client.me()).toEqual(me);
    expect(await failure(client.getInquiry('00000000-0000-4000-8000-000000000000'))).toMatchObject({ status: 404, code: 'not_found', message: 'inquiry not found', requestId: 'req-8' });
  });

  it('streams a body longer than it buffers, and one of unknown length as it arrives', async () => {
    const big = Buffer.alloc(BUFFERED_BODY_BYTES + 12_345, 7);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    route = (req, res) => {
      if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': big.length });
        return void res.end(big);
      }
      // An event stream: no length, the first event at once, the end only when the test allows.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      void held.then(() => res.end('data: last\n\n'));
    };
    const fetch = nodeFetch();
    const res = await fetch(`${baseUrl}/big`, { method: 'GET' });
    const parts: Uint8Array[] = [];
    for await (const part of res.body!) parts.push(part);
    expect(Buffer.concat(parts).equals(big)).toBe(true);

    const events = await fetch(`${baseUrl}/events`, { method: 'GET' });
    const reader = events.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: first\n\n');
    release();
    let rest = '';
    for (let next = await reader.read(); !next.done; next = await reader.read()) rest += new TextDecoder().decode(next.value);
    expect(rest).toBe('data: last\n\n');
  });

  it('hands a small body over as a stream too (a small download), and headers by any case, repeated ones joined', async () => {
    route = (_req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 3, 'X-Qiao-Records': '7' });
      res.end(Buffer.from([1, 2, 3]));
    };
    const res = await nodeFetch()(`${baseUrl}/small`, { method: 'GET' });
    expect(res.headers.get('x-qiao-records')).toBe('7');
    expect(res.headers.get('X-Qiao-Records')).toBe('7');
    expect(res.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(Object.fromEntries(res.headers.entries())).toMatchObject({ 'content-length': '3', 'x-qiao-records': '7' });
    const parts: Uint8Array[] = [];
    for await (const part of res.body!) parts.push(part);
    expect([...Buffer.concat(parts)]).toEqual([1, 2, 3]);
  });

  it('never loads Node\'s fetch (undici) in a command that uses it', async () => {
    route = (_req, res) => json(res, 200, { status: 'ok' });
    const script = [
      `import { createApiClient } from ${JSON.stringify(new URL('../core/api-client.ts', import.meta.url).pathname)};`,
      `import { nodeFetch } from ${JSON.stringify(new URL('./http-transport.ts', import.meta.url).pathname)};`,
      `const health = await createApiClient({ baseUrl: ${JSON.stringify(baseUrl)}, fetch: nodeFetch() }).health();`,
      `console.log(JSON.stringify({ health, undici: process.moduleLoadList.some((m) => m.includes('undici')) }));`,
    ].join('\n');
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script]);
    expect(JSON.parse(stdout)).toEqual({ health: { status: 'ok' }, undici: false });
  });

  it('fails an answer cut short before its Content-Length as a dropped connection', async () => {
    route = (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 100 });
      res.write('{"status":');
      setTimeout(() => req.socket.destroy(), 10);
    };
    const cut = (await failure(nodeFetch()(`${baseUrl}/cut`, { method: 'GET' }))) as TypeError & { cause: { code: string } };
    expect(cut).toBeInstanceOf(TypeError);
    expect(cut.cause.code).toBe('ECONNRESET');
  });

  it('drops the connection of a streamed body its reader cancels', async () => {
    route = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
    };
    const res = await nodeFetch()(`${baseUrl}/events`, { method: 'GET' });
    const reader = res.body!.getReader();
    await reader.read();
    const open = sockets.size;
    await reader.cancel();
    await expect.poll(() => sockets.size).toBe(open - 1);
  });

  it('rejects as fetch does: an unreachable gateway by its code, an abort as an AbortError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = (await failure(nodeFetch()(`http://127.0.0.1:${port}/`, { method: 'GET' }))) as TypeError & { cause: { code: string } };
    expect(refused).toBeInstanceOf(TypeError);
    expect(refused.cause.code).toBe('ECONNREFUSED');
    const client = createApiClient({ baseUrl: `http://127.0.0.1:${port}`, fetch: nodeFetch() });
    expect(await failure(client.health())).toMatchObject({ code: 'unreachable', message: expect.stringContaining('(ECONNREFUSED)') });

    route = () => {}; // never answers
    const stop = new AbortController();
    const pending = nodeFetch()(`${baseUrl}/slow`, { method: 'GET', signal: stop.signal });
    setTimeout(() => stop.abort(), 20);
    expect(await failure(pending)).toMatchObject({ name: 'AbortError' });
  });

  it('lets the client send a read again when the connection drops before an answer, and never an unsigned write', async () => {
    const drops = new Map<string, number>();
    const seen = new Map<string, number>();
    route = (req, res) => {
      const path = req.url!;
      seen.set(path, (seen.get(path) ?? 0) + 1);
      const left = drops.get(path) ?? 0;
      if (left > 0) {
        drops.set(path, left - 1);
        return path.includes('reset') ? req.socket.resetAndDestroy() : req.socket.destroy();
      }
      json(res, 200, { status: 'ok' });
    };
    const client = createApiClient({ baseUrl, token: 'tok', fetch: nodeFetch() });
    drops.set('/health', 2);
    expect(await client.health()).toEqual({ status: 'ok' });
    expect(seen.get('/health')).toBe(3);
    drops.set('/health', 3);
    expect(await failure(client.health())).toMatchObject({ status: 0, code: 'unreachable', message: expect.stringContaining('(ECONNRESET)') });
    drops.set('/v1/inquiries/i-3/withdraw', 1);
    const err = await failure(client.withdraw('i-3', { reason: 'typo' }));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'unreachable' });
    expect(seen.get('/v1/inquiries/i-3/withdraw')).toBe(1);
  });
});
