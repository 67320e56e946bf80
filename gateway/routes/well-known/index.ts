import { Hono } from 'hono';
import type { JWK } from 'jose';
import type { AppEnv } from '../env';

/**
 * `GET /.well-known/jwks.json`: the gateway's public warrant keys, which departments fetch to
 * verify warrants. During a rotation it holds two keys (the old one until its last warrant has
 * expired). Public by design: no authentication.
 */
export function wellKnownRoutes(jwks: { keys: JWK[] }): Hono<AppEnv> {
  const body = { keys: jwks.keys.map(({ d: _private, ...publicPart }) => publicPart) };
  return new Hono<AppEnv>().get('/.well-known/jwks.json', (c) => {
    c.header('cache-control', 'public, max-age=300');
    return c.json(body);
  });
}
