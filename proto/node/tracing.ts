import { context, isSpanContextValid, propagation, ROOT_CONTEXT, SpanStatusCode, trace, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, AlwaysOnSampler, type SpanProcessor } from '@opentelemetry/sdk-trace-node';

export interface Tracing {
  /** Whether spans leave the process (an OTLP endpoint is configured, or a processor was given). */
  exporting: boolean;
  /** Sends what is buffered and stops. */
  shutdown(): Promise<void>;
}

/**
 * Registers the process's tracer provider, once, at start (a process entry calls it, never a
 * library). With `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) set, spans
 * go there by OTLP over HTTP/protobuf in batches (the exporter reads the other standard
 * `OTEL_EXPORTER_OTLP_*` settings, headers and timeout, from the process environment itself). Without one nothing is recorded: the sampler says no to
 * every span, so a span costs what a no-op one does, but the W3C trace context still flows (ids
 * generated, propagated in HTTP and gRPC, not sampled) and log lines still carry a trace id that
 * the gateway's and the department's logs share. `OTEL_SDK_DISABLED=true` registers nothing at
 * all: every span is the API's no-op, and log lines carry no trace id.
 */
export function startTracing(options: { serviceName: string; env: Record<string, string | undefined>; processors?: SpanProcessor[] }): Tracing {
  // The standard switch for none of it: no provider at all, the API's no-op tracer, no trace ids.
  if (options.env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' && !options.processors) return { exporting: false, shutdown: async () => {} };
  // The signal's own endpoint is used as it is; the general one is a base the path is added to (the OTLP spec's rule).
  const base = options.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url = options.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  const processors = options.processors ?? (url ? [new BatchSpanProcessor(new OTLPTraceExporter({ url }))] : []);
  const exporting = processors.length > 0;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.env.OTEL_SERVICE_NAME || options.serviceName }),
    sampler: exporting ? new ParentBasedSampler({ root: new AlwaysOnSampler() }) : new AlwaysOffSampler(),
    spanProcessors: processors,
  });
  // AsyncLocalStorage context manager and the W3C trace-context propagator (the defaults).
  provider.register();
  return {
    exporting,
    async shutdown() {
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
}

/**
 * Runs `fn` in a new active span: an error thrown ends it with status ERROR and the error's name
 * (never its message, which may quote a value), and is thrown on. Attributes are ids only: the
 * caller passes no subject id, name, case text or result data.
 */
export function inSpan<T>(
  tracer: Tracer,
  name: string,
  options: SpanOptions,
  fn: (span: Span) => Promise<T>,
  parent: Context = context.active(),
): Promise<T> {
  return tracer.startActiveSpan(name, options, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : typeof err });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The active trace context as a W3C `traceparent` header value, or null when there is none. */
export function activeTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** A context whose parent is `traceparent` (stored earlier by `activeTraceparent`), or an empty one. */
export function contextFromTraceparent(traceparent: string | null | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/** The trace id of the active span, for log lines; undefined when there is none. */
export function activeTraceId(): string | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}
