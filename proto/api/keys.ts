import { z } from 'zod';
import { defineEndpoint, jsonAnswer, PUBLIC } from './endpoint';
import { errorAnswers } from './errors';

/** GET /.well-known/jwks.json: the gateway's public warrant keys, which departments verify warrants with. */

export const PublicJwk = z
  .looseObject({
    kty: z.string(),
    kid: z.string().optional(),
    alg: z.string().optional(),
    crv: z.string().optional(),
    x: z.string().optional(),
    use: z.string().optional(),
  })
  .refine((jwk) => jwk.d === undefined, { message: 'a published key must not carry its private part', path: ['d'] });
export type PublicJwk = z.infer<typeof PublicJwk>;

export const Jwks = z.object({ keys: z.array(PublicJwk) }).meta({ id: 'Jwks' });
export type Jwks = z.infer<typeof Jwks>;

export const keyEndpoints = {
  jwks: defineEndpoint({
    method: 'get',
    path: '/.well-known/jwks.json',
    operationId: 'jwks',
    summary: 'The gateway’s public warrant keys',
    description: 'Two keys during a rotation: the old one stays until its last warrant has expired.',
    tags: ['operations'],
    security: PUBLIC,
    responses: { 200: jsonAnswer('a JWK set (RFC 7517), public parts only', Jwks), ...errorAnswers(500) },
  }),
};
