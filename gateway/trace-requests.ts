import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, isSpanContextValid, type Link } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { AppEnv } from './routes/env';
import { inRequestScope, tracer } from './telemetry';

/**
 * One server span per request, named by its route (`POST /v1/inquiries/:id/approve`), and the
 * request id in scope for every log line written while it runs. A `traceparent` a client sends
 * is linked, not adopted as parent: whether a request is traced is the gateway's decision, and a
 * client cannot place its requests inside another's trace.
 */
export function traceRequests(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = c.get('requestId');
    const caller = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent: c.req.header('traceparent') ?? '' }));
    const links: Link[] = caller && isSpanContextValid(caller) ? [{ context: caller }] : [];
    const span = tracer.startSpan(
      c.req.method,
      { kind: SpanKind.SERVER, root: true, links, attributes: { 'http.request.method': c.req.method, 'qiao.request_id': requestId } },
      ROOT_CONTEXT,
    );
    try {
      await inRequestScope(requestId, () => context.with(trace.setSpan(context.active(), span), next));
    } finally {
      const route = routePath(c, -1);
      span.updateName(`${c.req.method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', c.res.status);
      if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };
}
