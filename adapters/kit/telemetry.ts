import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Logger } from 'pino';
import { activeTraceId } from '../../proto/node/tracing';

/**
 * The adapter's spans: the Execute call (a child of the gateway's call, through the W3C trace
 * context in the gRPC metadata), its checks, the data source's lookup and the answer's stream.
 * Attributes are ids and counts (department, inquiry id, warrant jti, records, bytes), never a
 * subject id or a record. Without a registered tracer provider they are no-ops.
 */
export const tracer = trace.getTracer('qiao-adapter');

/** The warrant a call is about, once its jti is known: every log line of the call names it. */
const callScope = new AsyncLocalStorage<{ jti?: string }>();

export function inCallScope<T>(fn: () => T): T {
  return callScope.run({}, fn);
}

/** Names the warrant of the call in scope (after its signature checked out, so it is the gateway's). */
export function setScopeWarrant(jti: string): void {
  const scope = callScope.getStore();
  if (scope) scope.jti = jti;
}

/** The pino mixin of an adapter: trace id and warrant jti of the call in scope. */
export function adapterLogContext(): { traceId?: string; jti?: string } {
  const traceId = activeTraceId();
  const jti = callScope.getStore()?.jti;
  return { ...(traceId ? { traceId } : {}), ...(jti ? { jti } : {}) };
}

/** A department adapter's logger: JSON lines, each within a call carrying its trace id and warrant jti. */
export function createAdapterLogger(name: string, destination?: DestinationStream, level = 'info'): Logger {
  return pino({ name, level, mixin: adapterLogContext }, destination);
}
