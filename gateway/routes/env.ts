import type { Context } from 'hono';
import type { Principal } from '../auth/principal';
import { ServiceError } from '../errors';
import type { RequestContext, Services } from '../services/context';

/** What the middleware puts on every request's context. */
export type AppEnv = {
  Variables: {
    requestId: string;
    services: Services;
    /** Set by the authentication middleware on /v1 routes. */
    principal: Principal | undefined;
  };
};

/** The service context of an authenticated request. */
export function requestContext(c: Context<AppEnv>): RequestContext {
  const principal = c.get('principal');
  // Routes under /v1 run behind `authenticate`; reaching here without a principal is a wiring bug.
  if (!principal) throw new Error('route reached without authentication');
  return { ...c.get('services'), principal, requestId: c.get('requestId') };
}

/** The request body as JSON, or an error saying plainly what is wrong with it. */
export async function readJsonBody(c: Context<AppEnv>): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new ServiceError('unsupported_media_type', 'the body must be JSON (Content-Type: application/json)');
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ServiceError('invalid_argument', 'the body is not valid JSON', { details: [{ path: '(body)', message: 'not valid JSON' }] });
  }
}
