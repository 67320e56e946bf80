import { context, propagation, ROOT_CONTEXT, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import type { Metadata } from '@grpc/grpc-js';

/**
 * The W3C trace context (`traceparent`, `tracestate`) travels in the gRPC metadata of a call, as
 * the OpenTelemetry gRPC instrumentations carry it, so a department's spans join the gateway's
 * trace. It carries ids only; a department that does not trace ignores it.
 */
const setter: TextMapSetter<Metadata> = {
  set: (metadata, key, value) => metadata.set(key, value),
};

const getter: TextMapGetter<Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => {
    const values = metadata.get(key).filter((v): v is string => typeof v === 'string');
    return values.length ? values : undefined;
  },
};

/** Writes the active context's trace context into `metadata` (a no-op when there is no span). */
export function injectTraceContext(metadata: Metadata, from: Context = context.active()): Metadata {
  propagation.inject(from, metadata, setter);
  return metadata;
}

/** The caller's trace context from a call's metadata, over an empty context (never the server's own). */
export function extractTraceContext(metadata: Metadata): Context {
  return propagation.extract(ROOT_CONTEXT, metadata, getter);
}
