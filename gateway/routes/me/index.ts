import { Hono } from 'hono';
import { requestContext, type AppEnv } from '../env';

/** GET /v1/me: who the gateway thinks the caller is, from its own directory. */
export function meRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>().get('/', (c) => {
    const { principal } = requestContext(c);
    return c.json({
      user: { id: principal.userId, username: principal.username, displayName: principal.displayName, roles: principal.roles },
      unit: principal.unit,
    });
  });
}
