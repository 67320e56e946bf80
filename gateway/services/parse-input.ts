import type { z } from 'zod';
import { ServiceError, type ErrorDetail } from '../errors';

/** `['subjects', 1, 'id']` → `subjects[1].id`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || '(body)';
}

const MAX_DETAILS = 20;

/**
 * Parses a service's input, turning a zod failure into an `invalid_argument` error whose message
 * names each offending field, e.g. "subjects[1].id: resident ID number … has check character 5, expected 4 …".
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const details: ErrorDetail[] = parsed.error.issues.slice(0, MAX_DETAILS).map((issue) => ({
    path: formatPath(issue.path),
    message: issue.message,
  }));
  throw new ServiceError('invalid_argument', details.map((d) => `${d.path}: ${d.message}`).join('; '), { details });
}
