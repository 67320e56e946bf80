import { z } from 'zod';
import { plainText } from '../text';
import { defineEndpoint, jsonAnswer, jsonBody, PUBLIC } from './endpoint';
import { BODY_ERRORS, errorAnswers } from './errors';

/** POST /dev/token: development mode only. */

export const DevTokenRequest = z.strictObject({ username: plainText(200) }).meta({ id: 'DevTokenRequest' });
export type DevTokenRequest = z.infer<typeof DevTokenRequest>;

export const DevToken = z
  .object({ token: z.string().meta({ description: 'a bearer token (JWT)' }), expiresAt: z.iso.datetime() })
  .meta({ id: 'DevToken' });
export type DevToken = z.infer<typeof DevToken>;

export const devEndpoints = {
  devToken: defineEndpoint({
    method: 'post',
    path: '/dev/token',
    operationId: 'devToken',
    summary: 'A token for a directory user (development mode only)',
    description: 'No password is asked: the route exists only on a gateway started in development mode.',
    tags: ['development'],
    security: PUBLIC,
    request: { body: jsonBody(DevTokenRequest) },
    responses: {
      200: jsonAnswer('a token for the user', DevToken),
      ...errorAnswers(...BODY_ERRORS, 404, 500),
    },
  }),
};
