import { z } from 'zod';
import { BEARER, defineEndpoint, jsonAnswer } from './endpoint';
import { BEARER_ERRORS, errorAnswers } from './errors';
import { InquiryParams } from './inquiries';

/** /v1/inquiries/{id}/warrants: the warrants issued for an inquiry, exactly as each department received them. */

export const IssuedWarrant = z
  .object({
    department: z.string(),
    warrantId: z.string(),
    /** The part's attempt it was issued for; every attempt has a warrant of its own. */
    attempt: z.number().int().positive(),
    issuedAt: z.string(),
    expiresAt: z.string(),
    /** Lowercase hex SHA-256 of `warrant`: the `sha256` of its `warrant.issued` audit entry. */
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex SHA-256'),
    /** The compact JWS exactly as the department received it (docs/formats.md, “Warrant”). */
    warrant: z.string(),
  })
  .meta({ id: 'IssuedWarrant', description: 'One warrant as issued: the evidence of exactly what a department was asked.' });
export type IssuedWarrant = z.infer<typeof IssuedWarrant>;

export const InquiryWarrants = z
  .object({
    inquiryId: z.string(),
    /** Department by department, oldest attempt first. */
    warrants: z.array(IssuedWarrant),
  })
  .meta({ id: 'InquiryWarrants' });
export type InquiryWarrants = z.infer<typeof InquiryWarrants>;

export const warrantEndpoints = {
  listWarrants: defineEndpoint({
    method: 'get',
    path: '/v1/inquiries/{id}/warrants',
    operationId: 'listWarrants',
    summary: 'The warrants issued for an inquiry',
    description:
      'Every attempt’s warrant, as each department received it. For the requesting unit’s investigators and auditors; a department operator sees its own department’s. Each warrant read is recorded in the audit log (warrant.read), since a warrant names the subjects.',
    tags: ['results'],
    security: BEARER,
    request: { params: InquiryParams },
    responses: {
      200: jsonAnswer('the issued warrants', InquiryWarrants),
      ...errorAnswers(...BEARER_ERRORS, 400, 403, 404),
    },
  }),
};
