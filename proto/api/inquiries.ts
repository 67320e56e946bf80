import { z } from 'zod';
import { Disclosure } from '../inquiry-statement';
import { Subject } from '../subjects';
import { plainString, plainText } from '../text';
import { BEARER, defineEndpoint, jsonAnswer, jsonBody } from './endpoint';
import { BEARER_ERRORS, BODY_ERRORS, errorAnswers } from './errors';

/** /v1/inquiries: submit, list, read, approve, reject, withdraw. */

export const MAX_SUBJECTS = 50;
export const MAX_CATEGORIES = 20;

/** What the gateway stores: the decision taken so far. */
export const INQUIRY_STATES = ['pending_approval', 'approved', 'rejected', 'withdrawn', 'expired'] as const;
export const InquiryState = z.enum(INQUIRY_STATES);
export type InquiryState = z.infer<typeof InquiryState>;

/** What a user sees: after approval, whatever the department parts say. */
export const INQUIRY_STATUSES = ['pending_approval', 'rejected', 'withdrawn', 'expired', 'running', 'completed', 'partially_completed', 'failed'] as const;
export const InquiryStatus = z.enum(INQUIRY_STATUSES);
export type InquiryStatus = z.infer<typeof InquiryStatus>;

export const PART_STATUSES = ['pending', 'running', 'succeeded', 'failed'] as const;
export const PartStatus = z.enum(PART_STATUSES);
export type PartStatus = z.infer<typeof PartStatus>;

const text = plainText;
const timestamp = () => z.iso.datetime().meta({ description: 'ISO 8601, UTC' });

// ---- requests --------------------------------------------------------------------------------

const jws = z.string().min(1).max(16_384);

/** The investigator's signed statement (docs/formats.md, "Inquiry statement") and what the gateway needs to check it and build warrant evidence. */
export const SignedStatement = z
  .strictObject({
    statement: jws.meta({ description: 'the qiao-statement+jwt, signed with the investigator’s own key' }),
    certificate: jws.meta({ description: 'the directory authority’s qiao-signer-cert+jwt of that key' }),
    caseSalt: z.string().regex(/^[A-Za-z0-9_-]{22}$/).meta({ description: 'the salt of the statement’s case_commitment' }),
    disclosures: z.array(Disclosure).min(1).max(MAX_CATEGORIES).meta({ description: 'one per category, with their salts' }),
  })
  .meta({ id: 'SignedStatement' });
export type SignedStatement = z.infer<typeof SignedStatement>;

/** An approver's signed decision (docs/formats.md, "Decision"). */
export const SignedDecision = z
  .strictObject({
    decision: jws.meta({ description: 'the qiao-decision+jwt, signed with the approver’s own key' }),
    certificate: jws.meta({ description: 'the directory authority’s qiao-signer-cert+jwt of that key' }),
  })
  .meta({ id: 'SignedDecision' });
export type SignedDecision = z.infer<typeof SignedDecision>;

export const SubmitInquiry = z
  .strictObject({
    caseReference: text(100),
    legalBasis: text(500),
    purpose: text(2000),
    subjects: z
      .array(Subject)
      .min(1, 'must name at least one subject')
      .max(MAX_SUBJECTS, `must name at most ${MAX_SUBJECTS} subjects`)
      .superRefine((subjects, ctx) => {
        const seen = new Map<string, number>();
        subjects.forEach((s, i) => {
          const key = `${s.kind}:${s.id}`;
          const first = seen.get(key);
          if (first === undefined) seen.set(key, i);
          else ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `repeats subjects[${first}]` });
        });
      })
      .meta({ description: 'persons by resident ID number, organisations by unified social credit code; check characters are verified' }),
    categories: z
      .array(plainString().min(1).max(64))
      .min(1, 'must name at least one category')
      .max(MAX_CATEGORIES, `must name at most ${MAX_CATEGORIES} categories`)
      .superRefine((categories, ctx) => {
        categories.forEach((c, i) => {
          const first = categories.indexOf(c);
          if (first !== i) ctx.addIssue({ code: 'custom', path: [i], message: `repeats categories[${first}]` });
        });
      })
      .meta({ description: 'data categories of the catalogue (policies/categories.json): household, real_estate, bank_transactions …' }),
    /** Entrusted mode: the unit (GB/T 2260 code) the inquiry is run for; default the submitter's own. */
    onBehalfOf: z
      .string()
      .regex(/^\d{6}$/, 'must be a 6-digit unit code')
      .optional()
      .meta({ description: 'entrusted mode: the unit (GB/T 2260 code) the inquiry is run for; default the submitter’s own' }),
    signed: SignedStatement.optional().meta({ description: 'the signed statement; required unless the gateway runs with QIAO_REQUIRE_SIGNATURES=false' }),
    parentId: z
      .uuid('must be an inquiry id')
      .optional()
      .meta({
        description:
          'a follow-up inquiry (二次查询): the approved inquiry of the same unit whose answer named these subjects; caseReference and legalBasis must be the parent’s. The gateway is not told why the subjects were picked.',
      }),
  })
  .meta({ id: 'SubmitInquiry' });
export type SubmitInquiry = z.infer<typeof SubmitInquiry>;

export const DecideInquiry = z
  .strictObject({
    comment: text(2000),
    signed: SignedDecision.optional().meta({ description: 'the signed decision; required for a signed inquiry' }),
  })
  .meta({ id: 'DecideInquiry' });
export type DecideInquiry = z.infer<typeof DecideInquiry>;

export const WithdrawInquiry = z.strictObject({ reason: text(2000).optional() }).meta({ id: 'WithdrawInquiry' });
export type WithdrawInquiry = z.infer<typeof WithdrawInquiry>;

export const ListInquiriesQuery = z.strictObject({
  state: InquiryState.optional().meta({ description: 'only inquiries in this state' }),
  limit: z.coerce.number().int().min(1).max(200).default(50).meta({ description: 'at most this many, newest first (1–200, default 50)' }),
});
export type ListInquiriesQuery = z.infer<typeof ListInquiriesQuery>;

export const InquiryParams = z.object({
  id: plainString().meta({ description: 'the inquiry id; an inquiry the caller may not read answers 404 like a missing one' }),
});
export type InquiryParams = z.infer<typeof InquiryParams>;

// ---- answers ---------------------------------------------------------------------------------

/** Where an inquiry stands in its approval chain. */
export const ApprovalProgress = z
  .object({
    /** The highest sensitivity of its categories: it decided the chain. */
    sensitivity: z.string(),
    steps: z.array(
      z.object({
        role: z.string(),
        /** The unit the approvers of this step must belong to. */
        unitId: z.string(),
        count: z.number().int().positive(),
        /** Usernames of the approvers who filled this step so far. */
        approvedBy: z.array(z.string()),
      }),
    ),
    /** The step the next approval fills; null when the chain is complete. */
    next: z.object({ index: z.number().int().nonnegative(), role: z.string(), unitId: z.string() }).nullable(),
    /** Approvals still needed, all steps together. */
    remaining: z.number().int().nonnegative(),
  })
  .meta({ id: 'ApprovalProgress' });
export type ApprovalProgress = z.infer<typeof ApprovalProgress>;

export const InquiryPart = z.object({
  department: z.string(),
  categories: z.array(z.string()),
  status: PartStatus,
  attempts: z.number().int().nonnegative(),
  failureReason: z.string().nullable(),
  completedAt: timestamp().nullable(),
});
export type InquiryPart = z.infer<typeof InquiryPart>;

/** An inquiry as the API shows it. */
export const InquiryView = z
  .object({
    id: z.string(),
    unitId: z.string(),
    /** Entrusted mode: the unit of the investigator who ran the inquiry on behalf of `unitId`. */
    submittedFromUnitId: z.string().nullable(),
    /** A follow-up inquiry: the inquiry it follows from; null for a first inquiry. */
    parentId: z.string().nullable(),
    /** The follow-up inquiries that name this one as parent (same unit), oldest first: lineage without the listing. Reading each is authorized on its own. */
    followUps: z.array(z.string()).optional(),
    createdBy: z.object({ id: z.string(), username: z.string(), displayName: z.string() }),
    caseReference: z.string(),
    legalBasis: z.string(),
    purpose: z.string(),
    subjects: z.array(Subject),
    categories: z.array(z.string()),
    state: InquiryState,
    status: InquiryStatus,
    /** The highest sensitivity of its categories: it decided the approval chain. */
    sensitivity: z.string(),
    approvals: ApprovalProgress,
    /** When a pending inquiry expires if it is not approved by then. */
    expiresAt: timestamp().nullable(),
    decisions: z.array(
      z.object({
        username: z.string(),
        decision: z.enum(['approve', 'reject']),
        comment: z.string(),
        decidedAt: timestamp(),
        /** The signed decision with its certificate, for the client to verify itself; null for an unsigned one. */
        signed: SignedDecision.nullable().optional(),
      }),
    ),
    /** The signed statement with its certificate; null for an inquiry submitted unsigned. */
    signed: z
      .object({
        statement: z.string(),
        certificate: z.string(),
        /** The salt of the statement's case_commitment: with it, whoever holds the case reference checks that it is the signed one. */
        caseSalt: z.string().optional(),
      })
      .nullable()
      .optional(),
    parts: z.array(InquiryPart),
    createdAt: timestamp(),
    updatedAt: timestamp(),
  })
  .meta({ id: 'InquiryView', description: 'An inquiry with its approval progress, decisions and department parts.' });
export type InquiryView = z.infer<typeof InquiryView>;

export const InquiryList = z.object({ items: z.array(InquiryView) }).meta({ id: 'InquiryList' });
export type InquiryList = z.infer<typeof InquiryList>;

// ---- endpoints -------------------------------------------------------------------------------

const tags = ['inquiries'];
const decision = (verb: 'approve' | 'reject', summary: string, description: string) =>
  defineEndpoint({
    method: 'post',
    path: `/v1/inquiries/{id}/${verb}`,
    operationId: `${verb}Inquiry`,
    summary,
    description,
    tags,
    security: BEARER,
    request: { params: InquiryParams, body: jsonBody(DecideInquiry) },
    responses: {
      200: jsonAnswer('the inquiry after the decision', InquiryView),
      ...errorAnswers(...BEARER_ERRORS, ...BODY_ERRORS, 403, 404, 409, 429),
    },
  });

export const inquiryEndpoints = {
  submitInquiry: defineEndpoint({
    method: 'post',
    path: '/v1/inquiries',
    operationId: 'submitInquiry',
    summary: 'Submit an inquiry',
    description:
      'An investigator asks for facts about subjects, for their own unit or (entrusted mode) on behalf of another. The inquiry waits for the approvals its categories need.',
    tags,
    security: BEARER,
    request: { body: jsonBody(SubmitInquiry) },
    responses: {
      201: jsonAnswer('the inquiry, pending approval', InquiryView),
      ...errorAnswers(...BEARER_ERRORS, ...BODY_ERRORS, 403, 429),
    },
  }),
  listInquiries: defineEndpoint({
    method: 'get',
    path: '/v1/inquiries',
    operationId: 'listInquiries',
    summary: 'List the inquiries the caller may read',
    tags,
    security: BEARER,
    request: { query: ListInquiriesQuery },
    responses: {
      200: jsonAnswer('newest first', InquiryList),
      ...errorAnswers(...BEARER_ERRORS, 400, 403),
    },
  }),
  getInquiry: defineEndpoint({
    method: 'get',
    path: '/v1/inquiries/{id}',
    operationId: 'getInquiry',
    summary: 'Read one inquiry',
    tags,
    security: BEARER,
    request: { params: InquiryParams },
    responses: {
      200: jsonAnswer('the inquiry', InquiryView),
      ...errorAnswers(...BEARER_ERRORS, 400, 404),
    },
  }),
  approveInquiry: decision(
    'approve',
    'Approve an inquiry',
    'Fills the next step of the approval chain; the approval that completes it starts the fan-out to the departments. Nobody approves an inquiry they submitted.',
  ),
  rejectInquiry: decision('reject', 'Reject an inquiry', 'An approver of the inquiry’s unit or a unit above it rejects, with a comment saying why.'),
  withdrawInquiry: defineEndpoint({
    method: 'post',
    path: '/v1/inquiries/{id}/withdraw',
    operationId: 'withdrawInquiry',
    summary: 'Withdraw a pending inquiry',
    description: 'The investigator who submitted it takes it back; it can no longer be approved.',
    tags,
    security: BEARER,
    request: { params: InquiryParams, body: jsonBody(WithdrawInquiry) },
    responses: {
      200: jsonAnswer('the withdrawn inquiry', InquiryView),
      ...errorAnswers(...BEARER_ERRORS, ...BODY_ERRORS, 403, 404, 409, 429),
    },
  }),
};
