import { endpoints } from '../../../proto/api';
import { checkReady } from '../../services/health/check-ready';
import { createRouter, route } from '../env';

/** Liveness (the process answers) and readiness (database, checkpoint signer, departments). No authentication. */
export function healthRoutes() {
  return createRouter()
    .openapi(route(endpoints.health), (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(route(endpoints.ready), async (c) => {
      const ready = await checkReady(c.get('services'));
      return ready.status === 'down' ? c.json(ready, 503) : c.json(ready, 200);
    });
}
