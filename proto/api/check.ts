import type { z } from 'zod';
import { JSON_TYPE, type Endpoint } from './endpoint';

/**
 * Checking an answer against its endpoint's contract: the status is one it declares, the media
 * type one declared for that status, the headers it names are there and well-formed, and a JSON
 * body parses with the schema. The client does this on every answer; the gateway's tests do it
 * with `exact`, which also refuses fields the schema does not name, so a field the gateway adds
 * without describing it is caught where it is added, not by a client later.
 */

export interface Answer {
  status: number;
  /** Lowercase header names. */
  headers: Record<string, string>;
  /** The parsed JSON body; undefined when the body is not JSON. */
  body: unknown;
}

export interface ContractIssue {
  path: string;
  message: string;
}

export class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
  constructor(
    readonly route: string,
    readonly status: number,
    readonly issues: ContractIssue[],
  ) {
    super(`${route} answered ${status} in breach of the API contract (proto/api): ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
  }
}

/** `['results', 0, 'status']` → `results[0].status`; the empty path is `(body)`. */
export function formatIssuePath(path: readonly PropertyKey[], root = '(body)'): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || root;
}

export const routeName = (endpoint: Endpoint) => `${endpoint.method.toUpperCase()} ${endpoint.path}`;

/** The media type of a Content-Type value: `application/json; charset=utf-8` → `application/json`. */
export const mediaType = (contentType: string | undefined) => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

/** Checks `answer` and returns its body as the schema parses it (undefined for a non-JSON body). */
export function readAnswer(endpoint: Endpoint, answer: Answer, options: { exact?: boolean } = {}): unknown {
  const route = routeName(endpoint);
  const declared = endpoint.responses[answer.status];
  if (!declared) {
    throw new ContractViolation(route, answer.status, [{ path: '', message: `status ${answer.status} is not one the endpoint declares (${Object.keys(endpoint.responses).join(', ')})` }]);
  }
  const issues: ContractIssue[] = [];
  if (declared.headers) {
    const parsed = declared.headers.safeParse(answer.headers);
    if (!parsed.success) issues.push(...parsed.error.issues.map((i) => ({ path: `header ${formatIssuePath(i.path, '')}`, message: i.message })));
  }
  const type = mediaType(answer.headers['content-type']);
  const content = declared.content;
  let body: unknown;
  if (content) {
    const schema = content[type]?.schema;
    if (!schema) {
      issues.push({ path: '', message: `media type ${type || '(none)'} is not one declared for ${answer.status} (${Object.keys(content).join(', ')})` });
    } else if (type === JSON_TYPE) {
      body = parseBody(schema, answer.body, issues, options.exact ?? false);
    }
  }
  if (issues.length) throw new ContractViolation(route, answer.status, issues);
  return body;
}

function parseBody(schema: z.ZodType, body: unknown, issues: ContractIssue[], exact: boolean): unknown {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    issues.push(...parsed.error.issues.slice(0, 20).map((i) => ({ path: formatIssuePath(i.path), message: i.message })));
    return undefined;
  }
  // Response schemas have no defaults or transforms: whatever parsing dropped was not in the schema.
  if (exact) issues.push(...unknownFields(body, parsed.data, []));
  return parsed.data;
}

function unknownFields(sent: unknown, kept: unknown, path: PropertyKey[]): ContractIssue[] {
  if (Array.isArray(sent) && Array.isArray(kept)) return sent.flatMap((item, i) => unknownFields(item, kept[i], [...path, i]));
  if (!isRecord(sent) || !isRecord(kept)) return [];
  return Object.keys(sent).flatMap((key) =>
    Object.hasOwn(kept, key)
      ? unknownFields(sent[key], kept[key], [...path, key])
      : [{ path: formatIssuePath([...path, key]), message: 'a field the contract does not name: describe it in proto/api or do not send it' }],
  );
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
