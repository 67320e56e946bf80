import { OpenAPIHono, createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { Principal } from '../auth/principal';
import { ServiceError } from '../errors';
import type { RequestContext, Services } from '../services/context';
import { invalidInput } from '../services/parse-input';

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

/**
 * A router whose endpoints validate their input with the contract's schemas: a failure is the
 * API's `invalid_argument` error, naming each field (`details`), thrown to the app's error handler.
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidInput(result.error);
    },
  });
}

/**
 * The route of a contract endpoint (proto/api), registered as the contract states it. One that
 * takes a JSON body first checks that the body is declared and well-formed JSON
 * (`requireJsonBody`), so those two mistakes get their own plain errors before the schema speaks.
 */
export function route<R extends RouteConfig>(endpoint: R) {
  return createRoute(endpoint);
}

export function jsonRoute<R extends RouteConfig>(endpoint: R) {
  return createRoute({ ...endpoint, middleware: [requireJsonBody] as const });
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** 415 for a body not declared as JSON, 400 for one that does not parse. */
export const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!JSON_TYPE.test(c.req.header('content-type') ?? '')) {
    throw new ServiceError('unsupported_media_type', 'the body must be JSON (Content-Type: application/json)');
  }
  // Read as text first: the validator's own parse then works on the cached text.
  const text = await c.req.text();
  try {
    JSON.parse(text);
  } catch {
    throw new ServiceError('invalid_argument', 'the body is not valid JSON', { details: [{ path: '(body)', message: 'not valid JSON' }] });
  }
  await next();
};
