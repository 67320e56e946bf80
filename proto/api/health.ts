import { z } from 'zod';
import { defineEndpoint, jsonAnswer, PUBLIC } from './endpoint';
import { errorAnswers } from './errors';

/** Liveness and readiness, for load balancers and the launcher. No authentication. */

export const HealthAnswer = z.object({ status: z.literal('ok') });
export type HealthAnswer = z.infer<typeof HealthAnswer>;

export const ReadyAnswer = z.object({ status: z.enum(['ready', 'unavailable']) });
export type ReadyAnswer = z.infer<typeof ReadyAnswer>;

const tags = ['operations'];

export const healthEndpoints = {
  health: defineEndpoint({
    method: 'get',
    path: '/health',
    operationId: 'health',
    summary: 'Liveness: the process answers',
    tags,
    security: PUBLIC,
    responses: { 200: jsonAnswer('alive', HealthAnswer), ...errorAnswers(500) },
  }),
  ready: defineEndpoint({
    method: 'get',
    path: '/ready',
    operationId: 'ready',
    summary: 'Readiness: the database answers',
    tags,
    security: PUBLIC,
    responses: {
      200: jsonAnswer('ready', ReadyAnswer),
      503: jsonAnswer('the database does not answer', ReadyAnswer),
      ...errorAnswers(500),
    },
  }),
};
