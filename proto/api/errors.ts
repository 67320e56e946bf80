import { z } from 'zod';
import { jsonContent } from './endpoint';

/**
 * The error codes the API speaks, one list for every side: the gateway maps each to its HTTP and
 * gRPC status (gateway/errors.ts), a client branches on them.
 */
export const ERROR_CODES = [
  'invalid_argument',
  'unauthenticated',
  'permission_denied',
  'not_found',
  'conflict',
  'failed_precondition',
  'payload_too_large',
  'unsupported_media_type',
  'resource_exhausted',
  'deadline_exceeded',
  'unavailable',
  'internal',
] as const;
export const ErrorCode = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** One offending input location: `subjects[1].id`, `categories[0]`, `(body)`. */
export const ErrorDetail = z.object({
  path: z.string().meta({ description: 'where in the input: `subjects[1].id`, `limit`, `(body)` for the body as a whole' }),
  message: z.string(),
});
export type ErrorDetail = z.infer<typeof ErrorDetail>;

/** The body of every error answer. */
export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: ErrorCode,
      message: z.string().meta({ description: 'what was wrong, where, and what to do; names each offending field' }),
      requestId: z.string().meta({ description: 'the gateway’s id of the request (also the x-request-id header): quote it when reporting' }),
      details: z.array(ErrorDetail).optional().meta({ description: 'invalid input only: one entry per offending field' }),
    }),
  })
  .meta({ id: 'ErrorEnvelope', description: 'Every error answer: `{"error": {code, message, requestId, details?}}`.' });
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

/** The error statuses endpoints answer, with the codes behind each. */
const ERROR_STATUSES = {
  400: 'invalid_argument: the input is not what the endpoint takes; `details` names each field',
  401: 'unauthenticated: no bearer token, or one that is malformed, expired, for another audience or of an unknown user',
  403: 'permission_denied: the caller may not do this (refusals are recorded in the audit log)',
  404: 'not_found: no such resource — or one of another unit, which answers exactly like a missing one',
  409: 'failed_precondition or conflict: not in a state that allows it (already decided, expired, no result yet …)',
  413: 'payload_too_large: the body is over 256 KiB',
  415: 'unsupported_media_type: the body is not declared as JSON (Content-Type: application/json)',
  429: 'resource_exhausted: a fair-use limit is reached; Retry-After says when it resets',
  500: 'internal: a failure of the gateway; the message carries nothing but the request id',
  503: 'unavailable: a dependency (the token issuer’s keys) cannot be reached; try again shortly',
} as const;
export type ErrorStatus = keyof typeof ERROR_STATUSES;

const errorHeaders: { [S in ErrorStatus]?: z.ZodObject } = {
  401: z.object({ 'www-authenticate': z.string().meta({ description: 'Bearer realm="qiao", error="invalid_token"' }) }),
  429: z.object({ 'retry-after': z.string().regex(/^\d+$/).meta({ description: 'seconds until the limit resets' }) }),
};

type ErrorResponse = { description: string; content: ReturnType<typeof jsonContent<typeof ErrorEnvelope>>; headers?: z.ZodObject };

/** The error answers of an endpoint, for `responses`: `...errorAnswers(400, 401, 500)`. */
export function errorAnswers<S extends ErrorStatus>(...statuses: S[]): { [K in S]: ErrorResponse } {
  const out = {} as { [K in S]: ErrorResponse };
  for (const status of statuses) {
    const headers = errorHeaders[status];
    out[status] = { description: ERROR_STATUSES[status], content: jsonContent(ErrorEnvelope), ...(headers ? { headers } : {}) };
  }
  return out;
}

/** What every endpoint behind a bearer token may answer besides its own errors. */
export const BEARER_ERRORS = [401, 500, 503] as const satisfies ErrorStatus[];
/** What every endpoint that takes a JSON body may answer besides its own errors. */
export const BODY_ERRORS = [400, 413, 415] as const satisfies ErrorStatus[];
