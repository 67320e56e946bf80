import type { JWK } from 'jose';
import { endpoints } from '../../../proto/api';
import { createRouter, route } from '../env';

/**
 * `GET /.well-known/jwks.json`: the gateway's public warrant keys, which departments fetch to
 * verify warrants. During a rotation it holds two keys (the old one until its last warrant has
 * expired). Public by design: no authentication.
 */
export function wellKnownRoutes(jwks: { keys: JWK[] }) {
  const body = {
    keys: jwks.keys.map(({ d: _private, kty, ...publicPart }) => {
      if (!kty) throw new Error(`warrant key ${publicPart.kid ?? '(no kid)'} has no kty: regenerate the warrant key (npm run pki:generate)`);
      return { kty, ...publicPart };
    }),
  };
  return createRouter().openapi(route(endpoints.jwks), (c) => {
    c.header('cache-control', 'public, max-age=300');
    return c.json(body, 200);
  });
}
