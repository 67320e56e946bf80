import type { Hono } from 'hono';
import type { AppEnv } from '../app';
import type { ErrorEnvelope } from '../errors';
import type { InquiryView } from '../services/inquiry/view';
import type { InquiryResults } from '../services/inquiry/list-results';

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

export interface MeView {
  user: { id: string; username: string; displayName: string; roles: string[] };
  unit: { id: string; name: string; nameZh: string; level: string };
}

/** Sends a request through the app itself (no socket), as the HTTP server would. */
export async function request<T>(app: Hono<AppEnv>, method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
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
  const error = res.status >= 400 ? (parsed as ErrorEnvelope | undefined)?.error : undefined;
  return { status: res.status, headers: res.headers, body: parsed as T, bytes, ...(error ? { error } : {}) };
}

/** Typed calls of the gateway API as one caller. */
export class ApiClient {
  constructor(
    readonly app: Hono<AppEnv>,
    readonly token: string | undefined,
  ) {}

  request<T = unknown>(method: string, path: string, options: Omit<RequestOptions, 'token'> = {}): Promise<ApiResponse<T>> {
    return request<T>(this.app, method, path, { ...options, ...(this.token !== undefined ? { token: this.token } : {}) });
  }

  me() {
    return this.request<MeView>('GET', '/v1/me');
  }
  submitInquiry(body: unknown) {
    return this.request<InquiryView>('POST', '/v1/inquiries', { json: body });
  }
  listInquiries(query: Record<string, string> = {}) {
    const qs = new URLSearchParams(query).toString();
    return this.request<{ items: InquiryView[] }>('GET', `/v1/inquiries${qs ? `?${qs}` : ''}`);
  }
  getInquiry(id: string) {
    return this.request<InquiryView>('GET', `/v1/inquiries/${encodeURIComponent(id)}`);
  }
  approve(id: string, comment: unknown = 'Legal basis and scope verified') {
    return this.request<InquiryView>('POST', `/v1/inquiries/${encodeURIComponent(id)}/approve`, { json: { comment } });
  }
  reject(id: string, comment: unknown = 'Purpose does not justify the categories') {
    return this.request<InquiryView>('POST', `/v1/inquiries/${encodeURIComponent(id)}/reject`, { json: { comment } });
  }
  withdraw(id: string, reason?: string) {
    return this.request<InquiryView>('POST', `/v1/inquiries/${encodeURIComponent(id)}/withdraw`, { json: reason === undefined ? {} : { reason } });
  }
  results(id: string) {
    return this.request<InquiryResults>('GET', `/v1/inquiries/${encodeURIComponent(id)}/results`);
  }
  /** The ciphertext is in `bytes`. */
  download(id: string, department: string) {
    return this.request<undefined>('GET', `/v1/inquiries/${encodeURIComponent(id)}/results/${encodeURIComponent(department)}`);
  }
}
