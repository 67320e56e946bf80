import { endpoints } from '../../../proto/api';
import type { DevIssuer } from '../../auth/dev-issuer';
import { loadPrincipal } from '../../auth/principal';
import { ServiceError } from '../../errors';
import { createRouter, jsonRoute } from '../env';

/** POST /dev/token: a token for any directory user. Mounted in development mode only. */
export function devRoutes(issuer: DevIssuer) {
  return createRouter().openapi(jsonRoute(endpoints.devToken), async (c) => {
    const { username } = c.req.valid('json');
    // Tokens are only minted for users the directory knows: a token for nobody would only fail later.
    if (!(await loadPrincipal(c.get('services').db, username))) {
      throw new ServiceError('not_found', `no user ${JSON.stringify(username)} in the directory`);
    }
    return c.json(await issuer.mint(username), 200);
  });
}
