import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { FetchAnswer } from '../core/api-client';

/**
 * The command line's HTTP: node:http (and node:https) with kept-alive connections, the
 * `FetchLike` it hands `createApiClient` as its `fetch`. Node's own fetch (the undici bundled
 * with it) spends about three times node:http's CPU on a request (measured on Node 20: ~0.4
 * against ~0.14 ms for a small JSON answer over a kept-alive connection, client side), which
 * long-running clients — the gateway's load benchmark and soak, on the same cores as the gateway —
 * paid on every request. It answers with what the client core reads of an answer (`FetchAnswer`)
 * and never builds fetch's `Response`, whose class alone loads undici's JavaScript: about 30 ms
 * of every command that talks to the gateway.
 *
 * It answers as fetch does, for what the client core asks: the status and headers; a body whose
 * Content-Length says it is small (at most `BUFFERED_BODY_BYTES`) read whole first, any other (a
 * large download, the event stream) streamed as it arrives, its connection dropped if the reader
 * cancels. A failure to get an answer is fetch's `TypeError('fetch failed')` with
 * the socket's error as `cause` (its `code`: ECONNREFUSED, ECONNRESET, EPIPE …), which is how the
 * client tells a dropped kept-alive connection, to send a read again; an abort through
 * `init.signal` rejects (or errors the body) with an `AbortError`. Redirects are not followed and
 * nothing is decompressed: the gateway sends neither, and no Accept-Encoding is sent. Kept-alive
 * idle connections do not keep the process alive (node:http unrefs them).
 */
export function nodeFetch(): (url: string, init: RequestInit) => Promise<FetchAnswer> {
  // As many connections as requests at once, as fetch opens: an event stream holds one for as
  // long as it is followed, and must not make other requests wait.
  const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };
  return (url, init) =>
    new Promise<FetchAnswer>((resolve, reject) => {
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
        if (method === 'HEAD' || status === 204 || status === 205 || status === 304) {
          res.resume();
          return resolve(new NodeAnswer(status, res.headers, null));
        }
        const length = Number(res.headers['content-length'] ?? NaN);
        if (length <= BUFFERED_BODY_BYTES) {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.once('end', () => resolve(new NodeAnswer(status, res.headers, Buffer.concat(chunks))));
          res.once('error', (err) => reject(failed(err)));
          // Closed before its Content-Length was all there, and no error said so: a dropped connection all the same.
          res.once('close', () => res.complete || reject(failed(Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' }))));
          return;
        }
        resolve(new NodeAnswer(status, res.headers, res));
      });
      req.once('error', (err) => reject(failed(err)));
      req.end(body ?? undefined);
    });
}

/** An answer as the client core reads it (`FetchAnswer`): a body read whole, one still arriving, or none. */
class NodeAnswer implements FetchAnswer {
  readonly headers: FetchAnswer['headers'];
  #body: ReadableStream<Uint8Array> | null | undefined;

  constructor(
    readonly status: number,
    headers: IncomingHttpHeaders,
    private readonly source: Buffer | IncomingMessage | null,
  ) {
    // Names as node:http gives them (lower case); a repeated header's values joined as fetch's get() joins them.
    const values = new Map<string, string>();
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) values.set(name, Array.isArray(value) ? value.join(', ') : value);
    this.headers = { get: (name) => values.get(name.toLowerCase()) ?? null, entries: () => [...values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** Made when first asked for: a stream of the bytes read, or of the socket (its cancel drops the connection). */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#body === undefined) {
      const { source } = this;
      this.#body =
        source === null
          ? null
          : Buffer.isBuffer(source)
            ? new ReadableStream<Uint8Array>({ start: (controller) => { if (source.length) controller.enqueue(source); controller.close(); } })
            : (Readable.toWeb(source) as ReadableStream<Uint8Array>);
    }
    return this.#body;
  }

  async text(): Promise<string> {
    if (this.source === null) return '';
    if (Buffer.isBuffer(this.source) && this.#body === undefined) return this.source.toString('utf8');
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.body!) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
  }
}

/** An answer this long or shorter (by its Content-Length) is read whole before it is handed over. */
export const BUFFERED_BODY_BYTES = 1024 * 1024;

/** The request's headers as node:http takes them (never naming the `Headers` class: that alone would load undici). */
function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  if (!headers) return {};
  if (Array.isArray(headers)) return Object.fromEntries(headers);
  const entries = (headers as { entries?: () => Iterable<[string, string]> }).entries;
  if (typeof entries === 'function') return Object.fromEntries(entries.call(headers));
  return headers as Record<string, string>;
}

/** As fetch fails: an abort as itself, anything else as TypeError('fetch failed') with the socket's error as its cause. */
function failed(err: Error): Error {
  if (err.name === 'AbortError') return err;
  return new TypeError('fetch failed', { cause: err });
}
