import { z } from 'zod';
import { plainString } from '../text';
import { BEARER, defineEndpoint, jsonAnswer } from './endpoint';
import { BEARER_ERRORS, errorAnswers } from './errors';
import { InquiryParams, InquiryStatus, PartStatus } from './inquiries';

/** /v1/inquiries/{id}/results: what each department answered, and each answer's ciphertext. */

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256');

export const ResultSummary = z
  .object({
    department: z.string(),
    categories: z.array(z.string()),
    status: PartStatus,
    attempts: z.number().int().nonnegative(),
    failureReason: z.string().nullable(),
    /** The result format (`qiao-stream-v1`, docs/formats.md); null until the department has answered. */
    format: z.string().nullable(),
    records: z.number().int().nonnegative().nullable(),
    bytes: z.number().int().nonnegative().nullable(),
    sha256: sha256Hex.nullable(),
    warrantId: z.string().nullable(),
    /** The department's signed receipt (proto/receipt.ts), to be verified with the directory's key, never the gateway's word. */
    receipt: z.string().nullable(),
  })
  .meta({ id: 'ResultSummary', description: 'One department’s part: its status, and once it has answered the result’s metadata and signed receipt.' });
export type ResultSummary = z.infer<typeof ResultSummary>;

export const InquiryResults = z
  .object({
    inquiryId: z.string(),
    status: InquiryStatus,
    /** The unit whose public key the results are encrypted to. */
    recipientUnit: z.string(),
    results: z.array(ResultSummary),
  })
  .meta({ id: 'InquiryResults' });
export type InquiryResults = z.infer<typeof InquiryResults>;

export const ResultParams = InquiryParams.extend({
  department: plainString().meta({ description: 'the department’s name, e.g. public_security' }),
});
export type ResultParams = z.infer<typeof ResultParams>;

const digits = z.string().regex(/^\d+$/, 'must be a decimal number');

/** The headers of a ciphertext download: what the gateway recorded, to be checked against the receipt. */
export const ResultDownloadHeaders = z.object({
  'content-length': digits.meta({ description: 'the stored byte count: a transfer cut short shows as a shorter body' }),
  'content-disposition': z.string(),
  'x-qiao-format': z.string().meta({ description: 'the result format, e.g. qiao-stream-v1' }),
  'x-qiao-sha256': sha256Hex.meta({ description: 'SHA-256 of the ciphertext, as the gateway recorded it' }),
  'x-qiao-records': digits.meta({ description: 'the record count the department reported' }),
  'x-qiao-warrant-id': z.string().min(1).meta({ description: 'the warrant the department answered (its jti)' }),
});
export type ResultDownloadHeaders = z.infer<typeof ResultDownloadHeaders>;

export const OCTET_STREAM = 'application/octet-stream';

const tags = ['results'];

export const resultEndpoints = {
  listResults: defineEndpoint({
    method: 'get',
    path: '/v1/inquiries/{id}/results',
    operationId: 'listResults',
    summary: 'What each department has answered',
    description: 'Metadata only; the ciphertext is downloaded per department. For investigators of the requesting unit.',
    tags,
    security: BEARER,
    request: { params: InquiryParams },
    responses: {
      200: jsonAnswer('one entry per department part', InquiryResults),
      ...errorAnswers(...BEARER_ERRORS, 400, 403, 404),
    },
  }),
  downloadResult: defineEndpoint({
    method: 'get',
    path: '/v1/inquiries/{id}/results/{department}',
    operationId: 'downloadResult',
    summary: 'Download one department’s encrypted result',
    description:
      'The ciphertext, streamed as stored: only the requesting unit’s private key decrypts it. The download is recorded in the audit log when it starts.',
    tags,
    security: BEARER,
    request: { params: ResultParams },
    responses: {
      200: {
        description: 'the ciphertext (docs/formats.md, “Result”); 429 with Retry-After when this gateway already serves as many downloads as it serves at once (QIAO_MAX_DOWNLOADS)',
        content: { [OCTET_STREAM]: { schema: z.string().meta({ format: 'binary' }) } },
        headers: ResultDownloadHeaders,
      },
      ...errorAnswers(...BEARER_ERRORS, 400, 403, 404, 409, 429),
    },
  }),
};
