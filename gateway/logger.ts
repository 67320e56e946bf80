import { DrizzleQueryError } from 'drizzle-orm';
import { logContext } from './telemetry';
import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * The gateway's logger. Log lines never carry tokens or subject ids; the redaction below is a
 * second line of defence for the day someone logs an object carelessly, not the first.
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      // The trace id, and within a request its id, on every line (gateway/telemetry.ts).
      mixin: logContext,
      base: { service: 'qiao-gateway' },
      redact: {
        paths: ['token', '*.token', 'authorization', '*.authorization', '*.headers.authorization', 'subjects', '*.subjects', 'body', '*.body'],
        censor: '[redacted]',
      },
    },
    options.destination,
  );
}

/**
 * An unexpected error as it may be logged. A database error is logged by its SQLSTATE code and
 * the names of the constraint, table and column it concerns — never its SQL text, parameters or
 * message: drizzle's message carries the parameters, and the driver's can quote a value
 * (`invalid input syntax for type uuid: "…"`), and either can be a subject id.
 */
export function describeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const database = databaseError(err instanceof DrizzleQueryError ? err.cause : err);
  if (database) return { type: err instanceof DrizzleQueryError ? 'DrizzleQueryError' : err.name, database };
  const causeDatabase = databaseError(err.cause);
  const cause = !(err.cause instanceof Error)
    ? undefined
    : causeDatabase
      ? { type: err.cause.name, database: causeDatabase }
      : { type: err.cause.name, message: err.cause.message };
  if (err instanceof DrizzleQueryError) return { type: 'DrizzleQueryError', cause };
  return { type: err.name, message: err.message, stack: err.stack, cause };
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** What may be logged of a PostgreSQL error (pg's and PGlite's both carry `code` and `severity`), or null for another error. */
function databaseError(err: unknown): Record<string, string> | null {
  if (!(err instanceof Error)) return null;
  const e = err as Error & Record<string, unknown>;
  if (typeof e.code !== 'string' || !SQLSTATE.test(e.code) || typeof e.severity !== 'string') return null;
  const out: Record<string, string> = { code: e.code, severity: e.severity };
  for (const key of ['constraint', 'table', 'column', 'routine'] as const) if (typeof e[key] === 'string') out[key] = e[key];
  return out;
}
