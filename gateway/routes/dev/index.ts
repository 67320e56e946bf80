import { Hono } from 'hono';
import { z } from 'zod';
import type { DevIssuer } from '../../auth/dev-issuer';
import { loadPrincipal } from '../../auth/principal';
import { ServiceError } from '../../errors';
import { parseInput } from '../../services/parse-input';
import { readJsonBody, type AppEnv } from '../env';

export const DevTokenRequest = z.strictObject({ username: z.string().trim().min(1).max(200) });
export type DevTokenRequest = z.infer<typeof DevTokenRequest>;

/** POST /dev/token: a token for any directory user. Mounted in development mode only. */
export function devRoutes(issuer: DevIssuer): Hono<AppEnv> {
  return new Hono<AppEnv>().post('/dev/token', async (c) => {
    const { username } = parseInput(DevTokenRequest, await readJsonBody(c));
    // Tokens are only minted for users the directory knows: a token for nobody would only fail later.
    if (!(await loadPrincipal(c.get('services').db, username))) {
      throw new ServiceError('not_found', `no user ${JSON.stringify(username)} in the directory`);
    }
    return c.json(await issuer.mint(username));
  });
}
