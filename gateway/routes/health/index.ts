import { Hono } from 'hono';
import { checkReady } from '../../services/health/check-ready';
import type { AppEnv } from '../env';

/** Liveness (the process answers) and readiness (its database answers). No authentication. */
export function healthRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/health', (c) => c.json({ status: 'ok' }))
    .get('/ready', async (c) =>
      (await checkReady(c.get('services').db)) ? c.json({ status: 'ready' }) : c.json({ status: 'unavailable' }, 503),
    );
}
