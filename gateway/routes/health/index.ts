import { endpoints } from '../../../proto/api';
import { checkReady } from '../../services/health/check-ready';
import { createRouter, route } from '../env';

/** Liveness (the process answers) and readiness (its database answers). No authentication. */
export function healthRoutes() {
  return createRouter()
    .openapi(route(endpoints.health), (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(route(endpoints.ready), async (c) =>
      (await checkReady(c.get('services').db)) ? c.json({ status: 'ready' as const }, 200) : c.json({ status: 'unavailable' as const }, 503),
    );
}
