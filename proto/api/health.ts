import { z } from 'zod';
import { defineEndpoint, jsonAnswer, PUBLIC } from './endpoint';
import { errorAnswers } from './errors';

/** Liveness and readiness, for load balancers and the launcher. No authentication. */

export const HealthAnswer = z.object({ status: z.literal('ok') });
export type HealthAnswer = z.infer<typeof HealthAnswer>;

const Probe = z.enum(['up', 'down']);

/**
 * `ready`: the database answers, the checkpoint signer signs and every configured department
 * answers; `degraded` (still 200): some departments do not — their parts wait and retry, the rest
 * of the gateway works; `down` (503): the database or the signer is unusable, take this replica
 * out of the load balancer.
 */
export const ReadyAnswer = z
  .object({
    status: z.enum(['ready', 'degraded', 'down']),
    database: z.object({ status: Probe }),
    checkpointSigner: z.object({ status: z.enum(['up', 'down', 'not_configured']) }).meta({ description: 'the key that signs audit checkpoints: a test signature with it' }),
    departments: z
      .object({
        total: z.number().int().nonnegative(),
        reachable: z.number().int().nonnegative(),
        unreachable: z.array(z.string()).meta({ description: 'configured departments whose adapter did not answer a Describe call (probes cached 10 s)' }),
      })
      .meta({ description: 'the department adapters this gateway is configured with' }),
  })
  .meta({ id: 'ReadyAnswer' });
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
    summary: 'Readiness: the database, the checkpoint signer and how many departments answer',
    tags,
    security: PUBLIC,
    responses: {
      200: jsonAnswer('ready, or degraded: some departments do not answer', ReadyAnswer),
      503: jsonAnswer('down: the database or the checkpoint signer is unusable', ReadyAnswer),
      ...errorAnswers(500),
    },
  }),
};
