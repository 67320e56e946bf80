import { connect, type Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from './server';

/**
 * The HTTP server closes connections that hold it without making progress: one that never sends
 * a request (headers timeout), one that trickles its headers, and an idle kept-alive one. Each
 * test waits for the server to close the socket; the test's own timeout is the only bound.
 */

let server: Awaited<ReturnType<typeof listen>>;
let port: number;
beforeAll(async () => {
  server = await listen(() => new Response('ok'), { host: '127.0.0.1', port: 0, headersTimeoutMs: 400, requestTimeoutMs: 800, keepAliveTimeoutMs: 300 });
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server sent until it closed the connection. */
function untilClosed(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

describe('HTTP server timeouts', () => {
  it('closes connections that never send a request', async () => {
    const sockets = await Promise.all(Array.from({ length: 20 }, open));
    const answers = await Promise.all(sockets.map(untilClosed));
    // Node answers 408 to a connection whose headers did not arrive in time, then closes it.
    for (const answer of answers) expect(answer === '' || answer.startsWith('HTTP/1.1 408')).toBe(true);
  }, 15_000);

  it('closes a connection that trickles its headers', async () => {
    const socket = await open();
    const closed = untilClosed(socket);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 100);
    try {
      expect(await closed).toMatch(/^(HTTP\/1\.1 408|$)/);
    } finally {
      clearInterval(trickle);
    }
  }, 15_000);

  it('answers a request, then closes the idle kept-alive connection', async () => {
    const socket = await open();
    const closed = untilClosed(socket);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    const answer = await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(answer).toMatch(/keep-alive/i);
    expect(answer.endsWith('ok')).toBe(true);
  }, 15_000);

  it('keeps an idle kept-alive connection open past the headers timeout, and tells the client how long it may keep it', async () => {
    // The default keep-alive (65 s) is far longer than the headers timeout: an idle kept-alive
    // connection must not be closed by the latter, or the client would reuse a closing socket.
    const long = await listen(() => new Response('ok'), { host: '127.0.0.1', port: 0, headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 65_000 });
    const at = (long.address() as AddressInfo).port;
    const opened = (): Promise<Socket> => new Promise((resolve, reject) => {
      const socket = connect(at, '127.0.0.1', () => resolve(socket));
      socket.once('error', reject);
    });
    try {
      const kept = await opened();
      let received = '';
      const waiting: (() => void)[] = [];
      kept.on('data', (chunk) => ((received += chunk.toString('latin1')), waiting.splice(0).forEach((wake) => wake())));
      const answers = async (n: number) => {
        while (received.split('HTTP/1.1 200 OK').length - 1 < n) await new Promise<void>((resolve) => waiting.push(resolve));
      };
      kept.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await answers(1);
      expect(received).toMatch(/\r\nKeep-Alive: timeout=65\r\n/);
      // A silent connection opened now is closed by the headers timeout: once it is, the kept one has been idle longer than that.
      await untilClosed(await opened());
      kept.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await answers(2);
      kept.destroy();
    } finally {
      (long as HttpServer).closeAllConnections();
      await new Promise<void>((resolve) => long.close(() => resolve()));
    }
  }, 15_000);
});
