import { status as GrpcStatus } from '@grpc/grpc-js';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ERROR_CODES, type ErrorCode, type ErrorDetail } from '../proto/api/errors';

/**
 * The one error taxonomy of the gateway. Services throw `ServiceError`; the HTTP layer and the
 * gRPC layer each translate the code through one exhaustive map below. Anything else that is
 * thrown is a bug or an outage and surfaces as an opaque `internal` error. The list of codes is
 * the API's (proto/api/errors.ts): clients read the same list.
 */
export { ERROR_CODES, type ErrorCode, type ErrorDetail };
export type { ErrorEnvelope } from '../proto/api/errors';

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  readonly code: ErrorCode;
  readonly details?: ErrorDetail[];
  /** For `resource_exhausted`: when trying again can succeed (HTTP Retry-After). */
  readonly retryAt?: Date;

  constructor(code: ErrorCode, message: string, options: { details?: ErrorDetail[]; cause?: unknown; retryAt?: Date } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.details?.length) this.details = options.details;
    if (options.retryAt) this.retryAt = options.retryAt;
  }
}

export function isServiceError(err: unknown): err is ServiceError {
  return err instanceof ServiceError;
}

export const HTTP_STATUS: { readonly [C in ErrorCode]: ContentfulStatusCode } = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  conflict: 409,
  failed_precondition: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  resource_exhausted: 429,
  deadline_exceeded: 504,
  unavailable: 503,
  internal: 500,
};

export const GRPC_STATUS: { readonly [C in ErrorCode]: GrpcStatus } = {
  invalid_argument: GrpcStatus.INVALID_ARGUMENT,
  unauthenticated: GrpcStatus.UNAUTHENTICATED,
  permission_denied: GrpcStatus.PERMISSION_DENIED,
  not_found: GrpcStatus.NOT_FOUND,
  conflict: GrpcStatus.ABORTED,
  failed_precondition: GrpcStatus.FAILED_PRECONDITION,
  payload_too_large: GrpcStatus.RESOURCE_EXHAUSTED,
  unsupported_media_type: GrpcStatus.INVALID_ARGUMENT,
  resource_exhausted: GrpcStatus.RESOURCE_EXHAUSTED,
  deadline_exceeded: GrpcStatus.DEADLINE_EXCEEDED,
  unavailable: GrpcStatus.UNAVAILABLE,
  internal: GrpcStatus.INTERNAL,
};

/**
 * Whether `err` (or its cause) says the database cannot be reached right now rather than that a
 * query was wrong: no free pool connection in time, a connection refused, reset or terminated, or
 * a server shutting down, starting up or full (SQLSTATE class 08, 57P01–57P03, 53300). Such a
 * request answers 503 with Retry-After: trying again shortly can succeed.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === 'string') {
      if (/^08[0-9A-Z]{3}$/.test(code) || ['57P01', '57P02', '57P03', '53300'].includes(code)) return true;
      if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH'].includes(code)) return true;
    }
    if (/timeout exceeded when trying to connect|Connection terminated/.test(e.message)) return true;
  }
  return false;
}
