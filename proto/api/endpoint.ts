import type { z } from 'zod';

/**
 * One endpoint of the gateway's HTTP API, as plain data: its method and path, the zod schemas of
 * its request and of each answer it gives, and its OpenAPI wording. The shape is the one
 * `@hono/zod-openapi`'s `createRoute` takes, so the gateway registers an endpoint as it stands;
 * nothing here imports hono, so the client (in Node or a browser) reads the same objects.
 */
export interface Endpoint {
  method: 'get' | 'post';
  /** OpenAPI path template: `/v1/inquiries/{id}`. */
  path: `/${string}`;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** `BEARER` when a token is needed, `PUBLIC` otherwise. */
  security: Record<string, string[]>[];
  request?: {
    params?: z.ZodObject;
    query?: z.ZodObject;
    body?: { required: true; description?: string; content: { 'application/json': { schema: z.ZodType } } };
  };
  /** Every status the endpoint answers, errors included; an answer with another status breaks the contract. */
  responses: { [status: number]: EndpointResponse };
}

export interface EndpointResponse {
  description: string;
  /** Media type → body schema; absent for an answer without a body. */
  content?: { [mediaType: string]: { schema: z.ZodType } };
  /** The headers a client relies on (lowercase names); others may come too. */
  headers?: z.ZodObject;
}

/** Checks an endpoint's shape at compile time and keeps its literal types (path, statuses, schemas). */
export function defineEndpoint<E extends Endpoint>(endpoint: E): E {
  return endpoint;
}

export const BEARER: Record<string, string[]>[] = [{ bearer: [] }];
export const PUBLIC: Record<string, string[]>[] = [];

export const JSON_TYPE = 'application/json';

/** `{ 'application/json': { schema } }`, the content of a JSON body. */
export function jsonContent<S extends z.ZodType>(schema: S): { 'application/json': { schema: S } } {
  return { 'application/json': { schema } };
}

/** A required JSON request body. */
export function jsonBody<S extends z.ZodType>(schema: S, description?: string) {
  return { required: true as const, ...(description ? { description } : {}), content: jsonContent(schema) };
}

/** A JSON answer. */
export function jsonAnswer<S extends z.ZodType>(description: string, schema: S) {
  return { description, content: jsonContent(schema) };
}

/** `/v1/inquiries/{id}` with `{ id: 'a/b' }` → `/v1/inquiries/a%2Fb`. */
export function fillPath(path: string, params: Record<string, string> = {}): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${path}: no value for the path parameter ${name}`);
    return encodeURIComponent(value);
  });
}

/** The path parameters of `pathname` if it is an instance of `template`, else null. */
export function matchPath(template: string, pathname: string): Record<string, string> | null {
  const names: string[] = [];
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  const found = new RegExp(`^${pattern}$`).exec(pathname);
  if (!found) return null;
  const params: Record<string, string> = {};
  names.forEach((name, i) => {
    params[name] = decodeOrKeep(found[i + 1]!);
  });
  return params;
}

function decodeOrKeep(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a malformed escape is the server's to refuse, not the matcher's
  }
}

// ---- types read off an endpoint ---------------------------------------------------------------

type SuccessStatus = 200 | 201;
type JsonSchemaOf<R> = R extends { content: { 'application/json': { schema: infer S extends z.ZodType } } } ? S : never;

/** What a successful answer's JSON body parses to (`undefined` for a body that is not JSON). */
export type AnswerOf<E extends Endpoint> = {
  [S in keyof E['responses'] & SuccessStatus]: [JsonSchemaOf<E['responses'][S]>] extends [never] ? undefined : z.output<JsonSchemaOf<E['responses'][S]>>;
}[keyof E['responses'] & SuccessStatus];

/** The path parameters an endpoint takes, as a caller writes them. */
export type ParamsOf<E extends Endpoint> = E extends { request: { params: infer P extends z.ZodType } } ? z.input<P> : undefined;
/** The query an endpoint takes, as a caller writes it (a coerced number as a number or its digits). */
export type QueryOf<E extends Endpoint> = E extends { request: { query: infer Q extends z.ZodType } } ? QueryFields<z.input<Q>> : undefined;
type QueryFields<T> = { [K in keyof T]: unknown extends T[K] ? number | string : T[K] };
/** The JSON body an endpoint takes, as a caller writes it. */
export type BodyOf<E extends Endpoint> = E extends { request: { body: { content: { 'application/json': { schema: infer B extends z.ZodType } } } } } ? z.input<B> : undefined;
