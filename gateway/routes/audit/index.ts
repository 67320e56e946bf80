import { Hono } from 'hono';
import type { CheckpointSigning } from '../../services/audit/checkpoints';
import {
  listAuditEntries,
  readConsistencyProof,
  readInclusionProof,
  readLatestCheckpoint,
  requestCheckpoint,
} from '../../services/audit/read-log';
import { requestContext, type AppEnv } from '../env';

/**
 * /v1/audit: the audit log for auditors and department operators — latest signed checkpoint
 * (and a new one on demand), entries by range (optionally one department's), inclusion and
 * consistency proofs. Everything needed to verify without trusting the gateway.
 */
export function auditRoutes(signing?: CheckpointSigning): Hono<AppEnv> {
  return new Hono<AppEnv>()
    .get('/checkpoint', async (c) => c.json(await readLatestCheckpoint({ ctx: requestContext(c) })))
    .post('/checkpoint', async (c) => c.json(await requestCheckpoint({ ctx: requestContext(c), signing })))
    .get('/entries', async (c) => c.json(await listAuditEntries({ ctx: requestContext(c), input: c.req.query() })))
    .get('/proofs/inclusion', async (c) => c.json(await readInclusionProof({ ctx: requestContext(c), input: c.req.query() })))
    .get('/proofs/consistency', async (c) => c.json(await readConsistencyProof({ ctx: requestContext(c), input: c.req.query() })));
}
