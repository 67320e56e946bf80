import { endpoints, errorAnswers, fillPath, findEndpoint, readAnswer, type AnswerOf, type Endpoint, type EndpointName } from '../../proto/api';
import type { ErrorEnvelope } from '../errors';

/**
 * The gateway tests' transport: raw requests through the app itself (no socket), as the HTTP
 * server would send them — malformed, oversized and forged ones included, which a real client
 * refuses to send. Every answer is checked against the API contract (proto/api) before a test
 * sees it: the route's declared status, media type, headers and body schema, with no field the
 * schema does not name. So every route test also tests that the gateway answers what it says.
 */

export interface RequestOptions {
  token?: string;
  /** Sent as JSON with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as is. */
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  /** The parsed JSON body (the error envelope when `status` is not 2xx). */
  body: T;
  /** The error of an error response. */
  error?: ErrorEnvelope['error'];
  /** The raw body. */
  bytes: Uint8Array;
}

/** What answers requests like the app: `app.request`. */
export interface RequestTarget {
  request(input: string, init?: RequestInit): Response | Promise<Response>;
}

/** Sends a request through the app and checks the answer against the contract (throws ContractViolation). */
export async function request<T>(app: RequestTarget, method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | Uint8Array | undefined = options.body;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  }
  const res = await app.request(path, { method, headers, ...(body !== undefined ? { body: body as NonNullable<RequestInit['body']> } : {}) });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const isJson = (res.headers.get('content-type') ?? '').includes('json');
  const parsed = isJson && bytes.length ? (JSON.parse(new TextDecoder().decode(bytes)) as unknown) : undefined;
  checkAnswer(method, path, { status: res.status, headers: Object.fromEntries(res.headers.entries()), body: parsed });
  const error = res.status >= 400 ? (parsed as ErrorEnvelope | undefined)?.error : undefined;
  return { status: res.status, headers: res.headers, body: parsed as T, bytes, ...(error ? { error } : {}) };
}

/**
 * Checks an answer against the endpoint of `method` and `path` in the contract, exactly. A path
 * the API does not have may only be answered with the not-found envelope.
 */
export function checkAnswer(method: string, path: string, answer: { status: number; headers: Record<string, string>; body: unknown }): void {
  const pathname = new URL(path, 'http://gateway.test').pathname;
  const found = findEndpoint(method, pathname);
  readAnswer(found?.endpoint ?? noSuchRoute(method, pathname), answer, { exact: true });
}

const noSuchRoute = (method: string, pathname: string): Endpoint => ({
  method: method.toLowerCase() === 'post' ? 'post' : 'get',
  path: pathname as `/${string}`,
  operationId: '(no such route)',
  summary: 'a path no endpoint of proto/api has',
  tags: [],
  security: [],
  responses: errorAnswers(404),
});

type Input = { params?: Record<string, string>; query?: Record<string, string>; json?: unknown };

/**
 * One caller of the gateway in a test: the token it sends, and a helper per endpoint. The helpers
 * only name the endpoint and type the answer from its contract schema; what they send is sent as
 * given, so a test passes a malformed body through the same helper as a good one.
 */
export class TestCaller {
  constructor(
    readonly app: RequestTarget,
    readonly token: string | undefined,
  ) {}

  request<T = unknown>(method: string, path: string, options: Omit<RequestOptions, 'token'> = {}): Promise<ApiResponse<T>> {
    return request<T>(this.app, method, path, { ...options, ...(this.token !== undefined ? { token: this.token } : {}) });
  }

  /** Calls a contract endpoint by name. */
  call<N extends EndpointName>(name: N, input: Input = {}): Promise<ApiResponse<AnswerOf<(typeof endpoints)[N]>>> {
    const endpoint: Endpoint = endpoints[name];
    const qs = new URLSearchParams(input.query).toString();
    const path = `${fillPath(endpoint.path, input.params)}${qs ? `?${qs}` : ''}`;
    return this.request(endpoint.method.toUpperCase(), path, input.json === undefined ? {} : { json: input.json });
  }

  me() {
    return this.call('me');
  }
  submitInquiry(body: unknown) {
    return this.call('submitInquiry', { json: body });
  }
  listInquiries(query: Record<string, string> = {}) {
    return this.call('listInquiries', { query });
  }
  getInquiry(id: string) {
    return this.call('getInquiry', { params: { id } });
  }
  approve(id: string, comment: unknown = 'Legal basis and scope verified') {
    return this.call('approveInquiry', { params: { id }, json: { comment } });
  }
  reject(id: string, comment: unknown = 'Purpose does not justify the categories') {
    return this.call('rejectInquiry', { params: { id }, json: { comment } });
  }
  withdraw(id: string, reason?: string) {
    return this.call('withdrawInquiry', { params: { id }, json: reason === undefined ? {} : { reason } });
  }
  results(id: string) {
    return this.call('listResults', { params: { id } });
  }
  warrants(id: string) {
    return this.call('listWarrants', { params: { id } });
  }
  /** The ciphertext is in `bytes`. */
  download(id: string, department: string) {
    return this.call('downloadResult', { params: { id, department } });
  }
}
