import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';

/**
 * The command line's HTTP: node:http (and node:https) with kept-alive connections, the
 * `FetchLike` it hands `createApiClient` as its `fetch`. Node's own fetch (the undici bundled
 * with it) spends about three times node:http's CPU on a request (measured on Node 20: ~0.4
 * against ~0.14 ms for a small JSON answer over a kept-alive connection, client side), which
 * long-running clients — the gateway's load benchmark and soak, on the same cores as the gateway —
 * paid on every request. For one command it makes little difference (`whoami` 195 against
 * 202 ms): the `Response` the client core reads loads undici's JavaScript all the same.
 *
 * It answers as fetch does, for what the client core asks: a `Response` with the status and
 * headers; a body whose Content-Length says it is small (at most `BUFFERED_BODY_BYTES`) read whole
 * first, any other (a download, the event stream) streamed as it arrives, its connection dropped
 * if the reader cancels. A failure to get an answer is fetch's `TypeError('fetch failed')` with
 * the socket's error as `cause` (its `code`: ECONNREFUSED, ECONNRESET, EPIPE …), which is how the
 * client tells a dropped kept-alive connection, to send a read again; an abort through
 * `init.signal` rejects (or errors the body) with an `AbortError`. Redirects are not followed and
 * nothing is decompressed: the gateway sends neither, and no Accept-Encoding is sent. Kept-alive
 * idle connections do not keep the process alive (node:http unrefs them).
 */
export function nodeFetch(): (url: string, init: RequestInit) => Promise<Response> {
  // As many connections as requests at once, as fetch opens: an event stream holds one for as
  // long as it is followed, and must not make other requests wait.
  const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      const protocol = target.protocol as keyof typeof agents;
      if (!(protocol in agents)) return reject(new TypeError(`fetch failed: ${target.protocol} is not http: or https:`));
      const body = init.body;
      if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        return reject(new TypeError('this transport sends a string or bytes as a request body, nothing else'));
      }
      const method = (init.method ?? 'GET').toUpperCase();
      const send = protocol === 'https:' ? https.request : http.request;
      const req = send(target, { method, headers: headerRecord(init.headers), agent: agents[protocol], ...(init.signal ? { signal: init.signal } : {}) }, (res) => {
        const status = res.statusCode ?? 0;
        const headers = new Headers();
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        const init = { status, statusText: res.statusMessage ?? '', headers };
        if (method === 'HEAD' || status === 204 || status === 205 || status === 304) {
          res.resume();
          return resolve(new Response(null, init));
        }
        const length = Number(res.headers['content-length'] ?? NaN);
        if (length <= BUFFERED_BODY_BYTES) {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.once('end', () => resolve(new Response(Buffer.concat(chunks), init)));
          res.once('error', (err) => reject(failed(err)));
          return;
        }
        resolve(new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, init));
      });
      req.once('error', (err) => reject(failed(err)));
      req.end(body ?? undefined);
    });
}

/** An answer this long or shorter (by its Content-Length) is read whole before it is handed over. */
export const BUFFERED_BODY_BYTES = 1024 * 1024;

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  if (!headers) return {};
  if (headers instanceof Headers) return Object.fromEntries(headers.entries());
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  return headers as Record<string, string>;
}

/** As fetch fails: an abort as itself, anything else as TypeError('fetch failed') with the socket's error as its cause. */
function failed(err: Error): Error {
  if (err.name === 'AbortError') return err;
  return new TypeError('fetch failed', { cause: err });
}
