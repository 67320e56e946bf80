import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';
import { activeTraceId } from '../proto/node/tracing';

/**
 * The gateway's spans. Their attributes are ids (request, inquiry, part, department, warrant jti),
 * routes and status codes — never a subject id, a name, case text, a token or result data. The
 * tracer provider is registered by the process entry (gateway/main.ts, proto/node/tracing.ts);
 * without one every span here is a no-op.
 */
export const tracer = trace.getTracer('qiao-gateway');

const requestScope = new AsyncLocalStorage<{ requestId: string }>();

/** What every log line of the gateway adds (pino mixin): the trace id and, within a request, its id. */
export function logContext(): { traceId?: string; requestId?: string } {
  const traceId = activeTraceId();
  const requestId = requestScope.getStore()?.requestId;
  return { ...(traceId ? { traceId } : {}), ...(requestId ? { requestId } : {}) };
}

/** Runs `fn` with `requestId` on every log line it writes (the HTTP middleware, gateway/trace-requests.ts). */
export function inRequestScope<T>(requestId: string, fn: () => T): T {
  return requestScope.run({ requestId }, fn);
}
