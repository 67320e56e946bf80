import type { MiddlewareHandler } from 'hono';
import { ServiceError } from '../errors';
import type { AppEnv } from '../routes/env';
import { IssuerKeysUnavailable, TokenError, type TokenVerifier } from './verify-token';

const BEARER = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i;

/**
 * Requires a valid bearer token whose subject is a user of the directory, and puts that user on
 * the context as the principal. A token's principal is kept for the token's lifetime (the
 * services' directory cache, dropped when the directory changes), so a client's next request
 * costs neither a signature check nor a directory lookup. The token itself is never logged.
 */
export function authenticate(verifier: TokenVerifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) throw new ServiceError('unauthenticated', 'missing bearer token (Authorization: Bearer <token>)');
    const match = BEARER.exec(header);
    if (!match) throw new ServiceError('unauthenticated', 'the Authorization header must be "Bearer <token>"');
    const token = match[1]!;
    const { directory } = c.get('services');
    // A token seen before and not yet expired verified then, and its bytes have not changed: its principal is kept.
    let principal = await directory.cachedPrincipal(token, new Date());
    if (!principal) {
      let verified: { subject: string; expiresAt: Date };
      try {
        verified = await verifier.verify(token);
      } catch (err) {
        if (err instanceof TokenError) throw new ServiceError('unauthenticated', err.message);
        if (err instanceof IssuerKeysUnavailable) throw new ServiceError('unavailable', `${err.message}; try again shortly`);
        throw err;
      }
      principal = (await directory.principalFor(token, verified.subject, verified.expiresAt)) ?? undefined;
      if (!principal) throw new ServiceError('unauthenticated', 'the token’s subject is not a user of this gateway');
    }
    c.set('principal', principal);
    await next();
  };
}
