import { endpoints } from '../../../proto/api';
import { readCatalogue } from '../../services/catalogue/read-catalogue';
import { createRouter, requestContext, route } from '../env';

/** GET /v1/catalogue: what can be asked, of whom, with which approvals; and who answers now. */
export function catalogueRoutes() {
  return createRouter().openapi(route(endpoints.readCatalogue), async (c) => c.json(await readCatalogue({ ctx: requestContext(c) }), 200));
}
