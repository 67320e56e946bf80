import { endpoints } from '../../../proto/api';
import { listInquiryWarrants } from '../../services/warrant/list-warrants';
import { createRouter, requestContext, route } from '../env';

/** /v1/inquiries/{id}/warrants: the warrants issued for an inquiry, exactly as each department received them. */
export function warrantRoutes() {
  return createRouter().openapi(route(endpoints.listWarrants), async (c) =>
    c.json(await listInquiryWarrants({ ctx: requestContext(c), input: c.req.valid('param') }), 200),
  );
}
