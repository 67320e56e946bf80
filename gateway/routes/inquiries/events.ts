import { streamSSE } from 'hono/streaming';
import { endpoints, ERROR_EVENT, INQUIRY_EVENT, type ErrorEnvelope } from '../../../proto/api';
import { describeError } from '../../logger';
import { followInquiry } from '../../services/inquiry/follow';
import { createRouter, requestContext, route } from '../env';

/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
export const KEEP_ALIVE_MS = 15_000;

/** GET /v1/inquiries/{id}/events: the inquiry's progress as server-sent events (proto/api/events.ts). */
export function inquiryEventRoutes() {
  return createRouter().openapi(route(endpoints.inquiryEvents), async (c) => {
    const ctx = requestContext(c);
    const stop = new AbortController();
    // Authorized before the stream starts: a refusal is the ordinary JSON 404.
    const views = await followInquiry({ ctx, input: c.req.valid('param'), signal: stop.signal });
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => stop.abort());
      const keepAlive = setInterval(() => void stream.write(': keep-alive\n\n').catch(() => stop.abort()), KEEP_ALIVE_MS);
      let n = 0;
      try {
        for await (const view of views) {
          await stream.writeSSE({ event: INQUIRY_EVENT, id: String(++n), data: JSON.stringify(view) });
        }
      } catch (err) {
        // Never the error's own message (a driver's can carry SQL and values): the opaque envelope, as for any 500.
        ctx.logger.error({ requestId: ctx.requestId, failure: describeError(err) }, 'inquiry event stream failed');
        const error: ErrorEnvelope = { error: { code: 'internal', message: 'internal error; quote the request id when reporting it', requestId: ctx.requestId } };
        if (!stream.aborted) await stream.writeSSE({ event: ERROR_EVENT, data: JSON.stringify(error) }).catch(() => {});
      } finally {
        clearInterval(keepAlive);
        stop.abort();
      }
    });
  });
}
