import { DrizzleQueryError } from 'drizzle-orm';
import { pino, type DestinationStream, type Logger } from 'pino';

/**
 * The gateway's logger. Log lines never carry tokens or subject ids; the redaction below is a
 * second line of defence for the day someone logs an object carelessly, not the first.
 */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
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
 * An unexpected error as it may be logged. Drizzle's query errors carry the query parameters in
 * their message, and parameters can be subject ids: only the SQL text and the driver's own
 * message and code are kept.
 */
export function describeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { type: typeof err };
  const cause =
    err.cause instanceof Error
      ? { type: err.cause.name, message: err.cause.message, code: (err.cause as { code?: unknown }).code }
      : undefined;
  if (err instanceof DrizzleQueryError) return { type: 'DrizzleQueryError', query: err.query, cause };
  return { type: err.name, message: err.message, stack: err.stack, cause };
}
