import { Hono } from 'hono';
import { listInquiryWarrants } from '../../services/warrant/list-warrants';
import { requestContext, type AppEnv } from '../env';

/** /v1/inquiries/:id/warrants: the warrants issued for an inquiry, exactly as each department received them. */
export function warrantRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>().get('/:id/warrants', async (c) => c.json(await listInquiryWarrants({ ctx: requestContext(c), input: { id: c.req.param('id') } })));
}
