import { endpoints } from '../../../proto/api';
import { createRouter, requestContext, route } from '../env';

/** GET /v1/me: who the gateway thinks the caller is, from its own directory. */
export function meRoutes() {
  return createRouter().openapi(route(endpoints.me), (c) => {
    const { principal } = requestContext(c);
    return c.json(
      {
        user: { id: principal.userId, username: principal.username, displayName: principal.displayName, roles: [...principal.roles], department: principal.department },
        unit: principal.unit,
      },
      200,
    );
  });
}
