import { Hono } from 'hono';
import { approveInquiry } from '../../services/inquiry/approve';
import { getInquiry } from '../../services/inquiry/get';
import { listInquiries } from '../../services/inquiry/list';
import { rejectInquiry } from '../../services/inquiry/reject';
import { submitInquiry } from '../../services/inquiry/submit';
import { withdrawInquiry } from '../../services/inquiry/withdraw';
import { readJsonBody, requestContext, type AppEnv } from '../env';

/** /v1/inquiries: submit, list, read, approve, reject, withdraw. */
export function inquiryRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .post('/', async (c) => c.json(await submitInquiry({ ctx: requestContext(c), input: await readJsonBody(c) }), 201))
    .get('/', async (c) => c.json(await listInquiries({ ctx: requestContext(c), input: c.req.query() })))
    .get('/:id', async (c) => c.json(await getInquiry({ ctx: requestContext(c), input: { id: c.req.param('id') } })))
    .post('/:id/approve', async (c) =>
      c.json(await approveInquiry({ ctx: requestContext(c), input: { id: c.req.param('id'), body: await readJsonBody(c) } })),
    )
    .post('/:id/reject', async (c) =>
      c.json(await rejectInquiry({ ctx: requestContext(c), input: { id: c.req.param('id'), body: await readJsonBody(c) } })),
    )
    .post('/:id/withdraw', async (c) =>
      c.json(await withdrawInquiry({ ctx: requestContext(c), input: { id: c.req.param('id'), body: await readJsonBody(c) } })),
    );
}
