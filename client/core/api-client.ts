/** A small client of the gateway's HTTP API that turns error envelopes into readable messages. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
  }
}

export interface ApiClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  /** A raw response for streamed bodies; throws ApiError on a non-2xx status. */
  fetchRaw(path: string): Promise<Response>;
}

export function createApiClient(baseUrl: string, token?: string): ApiClient {
  async function call(path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    let res: Response;
    try {
      res = await fetch(new URL(path, baseUrl), { ...init, headers });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new ApiError(0, 'unreachable', `cannot reach the gateway at ${baseUrl} (${cause}): is it running? Start the demo with \`npm start\`, or pass --gateway URL`);
    }
    if (!res.ok) throw await toApiError(res);
    return res;
  }
  return {
    async get<T>(path: string) {
      return (await (await call(path, { method: 'GET' })).json()) as T;
    },
    async post<T>(path: string, body: unknown) {
      const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
      return (await (await call(path, init)).json()) as T;
    },
    fetchRaw: (path) => call(path, { method: 'GET' }),
  };
}

async function toApiError(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string; requestId?: string } };
    // The message already names each field that is wrong; details repeat it for programs.
    return new ApiError(res.status, error.code, error.message, error.requestId);
  } catch {
    return new ApiError(res.status, 'http_error', `the gateway answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  }
}
