import type { MiddlewareHandler } from 'hono';
import { ServiceError } from '../errors';
import type { AppEnv } from '../routes/env';
import { loadPrincipal } from './principal';
import { IssuerKeysUnavailable, TokenError, type TokenVerifier } from './verify-token';

const BEARER = /^Bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i;

/**
 * Requires a valid bearer token whose subject is a user of the directory, and puts that user on
 * the context as the principal. The token itself is never logged.
 */
export function authenticate(verifier: TokenVerifier): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) throw new ServiceError('unauthenticated', 'missing bearer token (Authorization: Bearer <token>)');
    const match = BEARER.exec(header);
    if (!match) throw new ServiceError('unauthenticated', 'the Authorization header must be "Bearer <token>"');
    let subject: string;
    try {
      ({ subject } = await verifier.verify(match[1]!));
    } catch (err) {
      if (err instanceof TokenError) throw new ServiceError('unauthenticated', err.message);
      if (err instanceof IssuerKeysUnavailable) throw new ServiceError('unavailable', `${err.message}; try again shortly`);
      throw err;
    }
    const principal = await loadPrincipal(c.get('services').db, subject);
    if (!principal) throw new ServiceError('unauthenticated', 'the token’s subject is not a user of this gateway');
    c.set('principal', principal);
    await next();
  };
}
