import { endpoints } from '../../../proto/api';
import type { CheckpointSigning } from '../../services/audit/checkpoints';
import {
  listAuditEntries,
  readConsistencyProof,
  readInclusionProof,
  readLatestCheckpoint,
  requestCheckpoint,
} from '../../services/audit/read-log';
import { createRouter, requestContext, route } from '../env';

/**
 * /v1/audit: the audit log for auditors and department operators — latest signed checkpoint
 * (and a new one on demand), entries by range (optionally one department's), inclusion and
 * consistency proofs. Everything needed to verify without trusting the gateway.
 */
export function auditRoutes(signing?: CheckpointSigning) {
  return createRouter()
    .openapi(route(endpoints.readCheckpoint), async (c) => c.json(await readLatestCheckpoint({ ctx: requestContext(c) }), 200))
    .openapi(route(endpoints.requestCheckpoint), async (c) => c.json(await requestCheckpoint({ ctx: requestContext(c), signing }), 200))
    .openapi(route(endpoints.listAuditEntries), async (c) =>
      c.json(await listAuditEntries({ ctx: requestContext(c), input: c.req.valid('query') }), 200),
    )
    .openapi(route(endpoints.readInclusionProof), async (c) =>
      c.json(await readInclusionProof({ ctx: requestContext(c), input: c.req.valid('query') }), 200),
    )
    .openapi(route(endpoints.readConsistencyProof), async (c) =>
      c.json(await readConsistencyProof({ ctx: requestContext(c), input: c.req.valid('query') }), 200),
    );
}
