import { endpoints } from '../../../proto/api';
import { approveInquiry } from '../../services/inquiry/approve';
import { getInquiry } from '../../services/inquiry/get';
import { listInquiries } from '../../services/inquiry/list';
import { rejectInquiry } from '../../services/inquiry/reject';
import { submitInquiry } from '../../services/inquiry/submit';
import { withdrawInquiry } from '../../services/inquiry/withdraw';
import { createRouter, jsonRoute, requestContext, route } from '../env';

/** /v1/inquiries: submit, list, read, approve, reject, withdraw. */
export function inquiryRoutes() {
  return createRouter()
    .openapi(jsonRoute(endpoints.submitInquiry), async (c) =>
      c.json(await submitInquiry({ ctx: requestContext(c), input: c.req.valid('json') }), 201),
    )
    .openapi(route(endpoints.listInquiries), async (c) =>
      c.json(await listInquiries({ ctx: requestContext(c), input: c.req.valid('query') }), 200),
    )
    .openapi(route(endpoints.getInquiry), async (c) => c.json(await getInquiry({ ctx: requestContext(c), input: c.req.valid('param') }), 200))
    .openapi(jsonRoute(endpoints.approveInquiry), async (c) =>
      c.json(await approveInquiry({ ctx: requestContext(c), input: { ...c.req.valid('param'), body: c.req.valid('json') } }), 200),
    )
    .openapi(jsonRoute(endpoints.rejectInquiry), async (c) =>
      c.json(await rejectInquiry({ ctx: requestContext(c), input: { ...c.req.valid('param'), body: c.req.valid('json') } }), 200),
    )
    .openapi(jsonRoute(endpoints.withdrawInquiry), async (c) =>
      c.json(await withdrawInquiry({ ctx: requestContext(c), input: { ...c.req.valid('param'), body: c.req.valid('json') } }), 200),
    );
}
