import { z } from 'zod';
import { ROLES, UNIT_LEVELS } from '../directory';
import { BEARER, defineEndpoint, jsonAnswer } from './endpoint';
import { BEARER_ERRORS, errorAnswers } from './errors';

/** GET /v1/me: who the gateway thinks the caller is, from its own directory (not the token's claims). */
export const Me = z
  .object({
    user: z.object({
      id: z.string(),
      username: z.string(),
      displayName: z.string(),
      roles: z.array(z.enum(ROLES)),
      /** A department operator's department (whose audit entries and reconciliation are theirs); null for everyone else. */
      department: z.string().nullable(),
    }),
    unit: z.object({ id: z.string(), name: z.string(), nameZh: z.string(), level: z.enum(UNIT_LEVELS) }),
  })
  .meta({ id: 'Me' });
export type Me = z.infer<typeof Me>;

export const meEndpoints = {
  me: defineEndpoint({
    method: 'get',
    path: '/v1/me',
    operationId: 'me',
    summary: 'The caller, their unit and roles',
    tags: ['directory'],
    security: BEARER,
    responses: {
      200: jsonAnswer('the caller as the directory knows them', Me),
      ...errorAnswers(...BEARER_ERRORS),
    },
  }),
};
