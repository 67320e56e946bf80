import {
  ContractViolation,
  endpoints,
  ERROR_EVENT,
  ErrorEnvelope,
  EVENT_STREAM,
  INQUIRY_EVENT,
  InquiryEvent,
  fillPath,
  findEndpoint,
  readAnswer,
  ResultDownloadHeaders,
  routeName,
  type AnswerOf,
  type BodyOf,
  type Endpoint,
  type ErrorDetail,
  type ParamsOf,
  type QueryOf,
} from '../../proto/api';
import { readServerSentEvents } from './event-stream';

/**
 * The one HTTP client of the gateway API, for the command line, the console and the tests. Every
 * call is an endpoint of the contract (proto/api): the answer is checked against that endpoint's
 * schema before it is returned, so a gateway that answers something else is an error naming the
 * route and the field, never a value of the wrong shape. `fetch` is injectable — the browser's,
 * Node's, or a hono app's `app.request` where no socket is needed. No Node API is used here.
 */

/** An error answer of the gateway, or a failure to get a usable answer at all (`unreachable`, `invalid_response`). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    /** For `invalid_argument`: one entry per offending field. */
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }
}

/**
 * What the client reads of an answer: the part of fetch's `Response` it uses, so that a
 * transport need not build one (the command line's, client/cli/http-transport.ts, does not: the
 * `Response` class alone costs a command about 30 ms of loading Node's undici).
 */
export interface FetchAnswer {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null; entries(): Iterable<[string, string]> };
  /** The body as it arrives; null when there is none. */
  readonly body: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
}

/** What sends a request: `fetch`, `(url, init) => app.request(url, init)`, or the command line's node:http transport. */
export type FetchLike = (url: string, init: RequestInit) => FetchAnswer | Promise<FetchAnswer>;

export interface ApiClientOptions {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** The bearer token; sent only to endpoints that need one. */
  token?: string;
  fetch?: FetchLike;
}

/** A ciphertext download: the body is a stream, read as it arrives, never buffered here. */
export interface ResultDownload {
  body: ReadableStream<Uint8Array>;
  format: string;
  sha256: string;
  records: number;
  bytes: number;
  warrantId: string;
}

type E = typeof endpoints;
type Answer<N extends keyof E> = AnswerOf<E[N]>;

export interface ApiClient {
  readonly baseUrl: string;
  health(): Promise<Answer<'health'>>;
  /** Ready or not: the 503 answer is returned, not thrown. */
  ready(): Promise<Answer<'ready'>>;
  jwks(): Promise<Answer<'jwks'>>;
  openApiDocument(): Promise<Answer<'openApiDocument'>>;
  devToken(body: BodyOf<E['devToken']>): Promise<Answer<'devToken'>>;
  me(): Promise<Answer<'me'>>;
  /** What can be asked: categories, fields, sensitivity, approval chains, department health. */
  catalogue(): Promise<Answer<'readCatalogue'>>;
  /** The departments as the gateway sees them: health, version, categories, last success and failure, refusals (operators). */
  departments(): Promise<Answer<'listDepartments'>>;
  submitInquiry(body: BodyOf<E['submitInquiry']>): Promise<Answer<'submitInquiry'>>;
  listInquiries(query?: QueryOf<E['listInquiries']>): Promise<Answer<'listInquiries'>>;
  getInquiry(id: string): Promise<Answer<'getInquiry'>>;
  approve(id: string, body: BodyOf<E['approveInquiry']>): Promise<Answer<'approveInquiry'>>;
  reject(id: string, body: BodyOf<E['rejectInquiry']>): Promise<Answer<'rejectInquiry'>>;
  withdraw(id: string, body?: BodyOf<E['withdrawInquiry']>): Promise<Answer<'withdrawInquiry'>>;
  listResults(id: string): Promise<Answer<'listResults'>>;
  /** The warrants issued for an inquiry, as each department received them (each read is audited). */
  listWarrants(id: string): Promise<Answer<'listWarrants'>>;
  downloadResult(id: string, department: string): Promise<ResultDownload>;
  /**
   * The inquiry as it progresses (GET /v1/inquiries/{id}/events): its current view at once, then
   * one per change of a decision or a part, until one whose status is final; each parsed with the
   * contract. Breaking off the loop or aborting `signal` closes the stream.
   */
  followInquiry(id: string, options?: { signal?: AbortSignal }): AsyncIterable<InquiryEvent>;
  auditCheckpoint(): Promise<Answer<'readCheckpoint'>>;
  /** Asks the gateway to sign a checkpoint of the log as it is now. */
  signCheckpoint(): Promise<Answer<'requestCheckpoint'>>;
  auditEntries(query?: QueryOf<E['listAuditEntries']>): Promise<Answer<'listAuditEntries'>>;
  inclusionProof(query: QueryOf<E['readInclusionProof']>): Promise<Answer<'readInclusionProof'>>;
  consistencyProof(query: QueryOf<E['readConsistencyProof']>): Promise<Answer<'readConsistencyProof'>>;
  /**
   * GET of a path with its query (`/v1/audit/entries?start=0`), checked against the endpoint the
   * path belongs to: the seam of proto/audit-client.ts (`GetJson`), which builds its own paths.
   */
  getJson(path: string): Promise<unknown>;
}

interface Input {
  params?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const { baseUrl, token } = options;
  const send: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  /** Answers to a write sent a second time after the first one's connection dropped. */
  const retriedWrites = new WeakSet<FetchAnswer>();

  async function exchange(endpoint: Endpoint, path: string, body: unknown, extra: { accept?: string; signal?: AbortSignal } = {}): Promise<FetchAnswer> {
    const headers: Record<string, string> = extra.accept ? { accept: extra.accept } : {};
    if (token && endpoint.security.length) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const init: RequestInit = {
      method: endpoint.method.toUpperCase(),
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(extra.signal ? { signal: extra.signal } : {}),
    };
    const url = new URL(path, baseUrl).toString();
    const retries = retriesOf(init.method!, body);
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await send(url, init);
        if (attempt > 0 && init.method !== 'GET' && init.method !== 'HEAD') retriedWrites.add(res);
        return res;
      } catch (err) {
        if (attempt < retries && droppedBeforeAnswer(err) && !extra.signal?.aborted) continue;
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
        throw new ApiError(0, 'unreachable', `cannot reach the gateway at ${baseUrl} (${cause}): is it running? Start the demo with \`npm start\`, or pass --gateway URL`);
      }
    }
  }

  /** The answer's body as the contract parses it; an error answer (unless `keep` lists its status) as ApiError. */
  async function answer(endpoint: Endpoint, res: FetchAnswer, keep: readonly number[] = []): Promise<unknown> {
    if (!res.ok && !keep.includes(res.status)) throw await toApiError(endpoint, res);
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      throw invalidResponse(endpoint, res, new ContractViolation(routeName(endpoint), res.status, [{ path: '', message: 'the body is not JSON' }]));
    }
    try {
      return readAnswer(endpoint, { status: res.status, headers: headersOf(res), body });
    } catch (err) {
      if (err instanceof ContractViolation) throw invalidResponse(endpoint, res, err);
      throw err;
    }
  }

  async function call(endpoint: Endpoint, input: Input = {}, keep?: readonly number[]): Promise<any> {
    const res = await exchange(endpoint, pathOf(endpoint, input), input.body);
    try {
      return await answer(endpoint, res, keep);
    } catch (err) {
      if (!(err instanceof ApiError) || !retriedWrites.has(res)) throw err;
      // The gateway refuses a replayed signed statement, so this refusal may be of our own first attempt.
      throw new ApiError(
        err.status,
        err.code,
        `${err.message} (the connection dropped before the gateway answered the first attempt, and this is its answer to the one retry: the first may have been applied — look at the inquiry before signing again)`,
        err.requestId,
        err.details,
      );
    }
  }

  return {
    baseUrl,
    health: () => call(endpoints.health),
    ready: () => call(endpoints.ready, {}, [503]),
    jwks: () => call(endpoints.jwks),
    openApiDocument: () => call(endpoints.openApiDocument),
    devToken: (body) => call(endpoints.devToken, { body }),
    me: () => call(endpoints.me),
    catalogue: () => call(endpoints.readCatalogue),
    departments: () => call(endpoints.listDepartments),
    submitInquiry: (body) => call(endpoints.submitInquiry, { body }),
    listInquiries: (query) => call(endpoints.listInquiries, { ...(query ? { query } : {}) }),
    getInquiry: (id) => call(endpoints.getInquiry, { params: { id } }),
    approve: (id, body) => call(endpoints.approveInquiry, { params: { id }, body }),
    reject: (id, body) => call(endpoints.rejectInquiry, { params: { id }, body }),
    withdraw: (id, body = {}) => call(endpoints.withdrawInquiry, { params: { id }, body }),
    listResults: (id) => call(endpoints.listResults, { params: { id } }),
    listWarrants: (id) => call(endpoints.listWarrants, { params: { id } }),
    async downloadResult(id, department) {
      const endpoint = endpoints.downloadResult;
      const res = await openStream(endpoint, await exchange(endpoint, pathOf(endpoint, { params: { id, department } }), undefined));
      if (!res.body) throw invalidResponse(endpoint, res, new ContractViolation(routeName(endpoint), res.status, [{ path: '', message: 'no body' }]));
      const h = ResultDownloadHeaders.parse(headersOf(res));
      return {
        body: res.body,
        format: h['x-qiao-format'],
        sha256: h['x-qiao-sha256'],
        records: Number(h['x-qiao-records']),
        bytes: Number(h['content-length']),
        warrantId: h['x-qiao-warrant-id'],
      };
    },
    async *followInquiry(id, options = {}) {
      const endpoint = endpoints.inquiryEvents;
      const res = await openStream(endpoint, await exchange(endpoint, pathOf(endpoint, { params: { id } }), undefined, { accept: EVENT_STREAM, ...(options.signal ? { signal: options.signal } : {}) }));
      if (!res.body) return;
      const route = routeName(endpoint);
      for await (const message of readServerSentEvents(res.body, options.signal)) {
        if (message.event === ERROR_EVENT) {
          const failure = ErrorEnvelope.safeParse(parseJson(message.data));
          if (failure.success) throw new ApiError(500, failure.data.error.code, failure.data.error.message, failure.data.error.requestId);
          throw invalidResponse(endpoint, res, new ContractViolation(route, res.status, [{ path: 'error event', message: 'not the error envelope' }]));
        }
        if (message.event !== INQUIRY_EVENT) continue; // an event type this client does not know yet
        const view = InquiryEvent.safeParse(parseJson(message.data));
        if (!view.success) {
          throw invalidResponse(endpoint, res, new ContractViolation(route, res.status, view.error.issues.slice(0, 20).map((i) => ({ path: `event ${message.id ?? ''} ${i.path.join('.')}`.trim(), message: i.message }))));
        }
        yield view.data;
      }
    },
    auditCheckpoint: () => call(endpoints.readCheckpoint),
    signCheckpoint: () => call(endpoints.requestCheckpoint),
    auditEntries: (query) => call(endpoints.listAuditEntries, { ...(query ? { query } : {}) }),
    inclusionProof: (query) => call(endpoints.readInclusionProof, { query }),
    consistencyProof: (query) => call(endpoints.readConsistencyProof, { query }),
    async getJson(path) {
      const found = findEndpoint('GET', new URL(path, baseUrl).pathname);
      if (!found) throw new Error(`GET ${path} is not an endpoint of the API contract (proto/api)`);
      return answer(found.endpoint, await exchange(found.endpoint, path, undefined));
    },
  };
}

/**
 * How many times a request whose connection dropped before any answer is sent again. The usual
 * cause is a kept-alive connection the gateway closed as idle just as this client reused it: the
 * request never reached the gateway, and a fresh connection carries it. A read is sent again at
 * once. A write only when it carries a signed statement or decision (submit, approve, reject),
 * and once: the gateway refuses a replay of the same signed statement (its inquiry id is taken;
 * the signer has decided), so a first attempt that did arrive is never applied twice. An unsigned
 * write (withdraw, a development login, a checkpoint request) is never sent again: nothing would
 * tell its replay from a second request.
 */
function retriesOf(method: string, body: unknown): number {
  if (method === 'GET' || method === 'HEAD') return 2;
  const signed = typeof body === 'object' && body !== null && (body as { signed?: unknown }).signed;
  return signed ? 1 : 0;
}

/**
 * Whether fetch failed because the connection was closed or reset before any answer arrived
 * (undici: `UND_ERR_SOCKET` "other side closed", `ECONNRESET`, `EPIPE`). fetch settles with the
 * answer's status line, so a rejection with one of these causes means no answer was received.
 * A refused connection, a bad address or an abort is not one: sending again would not help.
 */
function droppedBeforeAnswer(err: unknown): boolean {
  if ((err as Error)?.name === 'AbortError') return false;
  const code = (err as { cause?: { code?: unknown } })?.cause?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

function pathOf(endpoint: Endpoint, input: Input): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(input.query ?? {})) if (value !== undefined) query.set(key, String(value));
  const qs = query.toString();
  return `${fillPath(endpoint.path, input.params)}${qs ? `?${qs}` : ''}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const headersOf = (res: FetchAnswer): Record<string, string> => Object.fromEntries(res.headers.entries());

/** A streamed answer (a download, an event stream): an error envelope as ApiError, the status and headers checked against the contract before the body is read. */
async function openStream(endpoint: Endpoint, res: FetchAnswer): Promise<FetchAnswer> {
  if (!res.ok) throw await toApiError(endpoint, res);
  try {
    readAnswer(endpoint, { status: res.status, headers: headersOf(res), body: undefined });
  } catch (err) {
    await res.body?.cancel();
    if (err instanceof ContractViolation) throw invalidResponse(endpoint, res, err);
    throw err;
  }
  return res;
}

function invalidResponse(endpoint: Endpoint, res: FetchAnswer, violation: ContractViolation): ApiError {
  return new ApiError(
    res.status,
    'invalid_response',
    `${violation.message}. The gateway and this client disagree about the API: update the client, or report it to the gateway's operators`,
    res.headers.get('x-request-id') ?? undefined,
  );
}

/** The envelope of an error answer as ApiError; an answer that is not the envelope says what came instead. */
async function toApiError(endpoint: Endpoint, res: FetchAnswer): Promise<ApiError> {
  const text = await res.text();
  try {
    const parsed = readAnswer(endpoint, { status: res.status, headers: headersOf(res), body: JSON.parse(text) as unknown }) as {
      error?: { code: string; message: string; requestId: string; details?: ErrorDetail[] };
    };
    if (parsed?.error) {
      // The message already names each field that is wrong; details repeat it for programs.
      const { code, message, requestId, details } = parsed.error;
      return new ApiError(res.status, code, message, requestId, details);
    }
  } catch {
    // not the envelope: said below
  }
  return new ApiError(res.status, 'http_error', `the gateway answered HTTP ${res.status} to ${routeName(endpoint)}: ${text.slice(0, 200)}`, res.headers.get('x-request-id') ?? undefined);
}
