import { z } from 'zod';
import { CheckpointAnswer as CheckpointAnswerBase, ConsistencyProofAnswer, EntriesAnswer, InclusionProofAnswer } from '../audit-log';
import { BEARER, defineEndpoint, jsonAnswer } from './endpoint';
import { BEARER_ERRORS, errorAnswers } from './errors';

/**
 * /v1/audit: the audit log for auditors and department operators. The answers' schemas are the
 * audit log's own (proto/audit-log.ts), which the verifiers parse with.
 */

const index = z.coerce.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const AuditEntriesQuery = z.object({
  start: index.default(0).meta({ description: 'the first index (default 0)' }),
  end: index.optional().meta({ description: 'the index to stop before (default: the log’s size)' }),
  department: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, 'a department name (lowercase snake_case)')
    .optional()
    .meta({ description: 'only the entries of this department (a department operator may read only its own)' }),
});
export type AuditEntriesQuery = z.infer<typeof AuditEntriesQuery>;

export const InclusionProofQuery = z.object({
  index: index.meta({ description: 'the entry' }),
  size: index.meta({ description: 'the tree size (a checkpoint’s)' }),
});
export type InclusionProofQuery = z.infer<typeof InclusionProofQuery>;

export const ConsistencyProofQuery = z.object({
  from: index.meta({ description: 'the older tree size' }),
  to: index.meta({ description: 'the newer tree size' }),
});
export type ConsistencyProofQuery = z.infer<typeof ConsistencyProofQuery>;

export const CheckpointAnswer = CheckpointAnswerBase.meta({
  id: 'CheckpointAnswer',
  description: 'A signed checkpoint (transparency-dev signed note) and the tree size it covers.',
});
export type CheckpointAnswer = z.infer<typeof CheckpointAnswer>;

export const SignedCheckpointAnswer = CheckpointAnswerBase.extend({
  /** False when the latest checkpoint already covered the whole log. */
  created: z.boolean(),
}).meta({ id: 'SignedCheckpointAnswer' });
export type SignedCheckpointAnswer = z.infer<typeof SignedCheckpointAnswer>;

const tags = ['audit'];

export const auditEndpoints = {
  readCheckpoint: defineEndpoint({
    method: 'get',
    path: '/v1/audit/checkpoint',
    operationId: 'readCheckpoint',
    summary: 'The latest signed checkpoint',
    description: 'Verify it with the pinned checkpoint key, never with a key the gateway hands out.',
    tags,
    security: BEARER,
    responses: {
      200: jsonAnswer('the checkpoint', CheckpointAnswer),
      ...errorAnswers(...BEARER_ERRORS, 403, 404, 429),
    },
  }),
  requestCheckpoint: defineEndpoint({
    method: 'post',
    path: '/v1/audit/checkpoint',
    operationId: 'requestCheckpoint',
    summary: 'Sign a checkpoint of the log as it is now',
    description: 'Auditors and administrators; 409 when the gateway has no checkpoint signing key. Takes no body.',
    tags,
    security: BEARER,
    responses: {
      200: jsonAnswer('the new (or still current) checkpoint', SignedCheckpointAnswer),
      ...errorAnswers(...BEARER_ERRORS, 403, 409, 413, 429),
    },
  }),
  listAuditEntries: defineEndpoint({
    method: 'get',
    path: '/v1/audit/entries',
    operationId: 'listAuditEntries',
    summary: 'Audit log entries by index range',
    description: 'At most 1000 per page; `next` says where to continue. Each entry is the exact text that was hashed.',
    tags,
    security: BEARER,
    request: { query: AuditEntriesQuery },
    responses: {
      200: jsonAnswer('the entries', EntriesAnswer.meta({ id: 'EntriesAnswer' })),
      ...errorAnswers(...BEARER_ERRORS, 400, 403, 429),
    },
  }),
  readInclusionProof: defineEndpoint({
    method: 'get',
    path: '/v1/audit/proofs/inclusion',
    operationId: 'readInclusionProof',
    summary: 'RFC 9162 inclusion proof of one entry',
    tags,
    security: BEARER,
    request: { query: InclusionProofQuery },
    responses: {
      200: jsonAnswer('the proof, base64 hashes', InclusionProofAnswer.meta({ id: 'InclusionProofAnswer' })),
      ...errorAnswers(...BEARER_ERRORS, 400, 403, 429),
    },
  }),
  readConsistencyProof: defineEndpoint({
    method: 'get',
    path: '/v1/audit/proofs/consistency',
    operationId: 'readConsistencyProof',
    summary: 'RFC 9162 consistency proof between two tree sizes',
    tags,
    security: BEARER,
    request: { query: ConsistencyProofQuery },
    responses: {
      200: jsonAnswer('the proof, base64 hashes', ConsistencyProofAnswer.meta({ id: 'ConsistencyProofAnswer' })),
      ...errorAnswers(...BEARER_ERRORS, 400, 403, 429),
    },
  }),
};
