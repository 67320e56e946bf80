import { z } from 'zod';
import { ROLES } from './directory';
import { DEPARTMENT_NAME } from './identity';

/**
 * What each audit entry says: the list of actions, who may have done each (a user, or the gateway
 * itself), whether it concerns an inquiry, and the exact `details` of each — one strict zod schema
 * per action. The gateway's writer refuses an entry that does not match (a programming error: its
 * transaction rolls back), the auditor's verifier reports one as a problem naming the entry, and a
 * department's reconcile reads its entries through these schemas. docs/formats.md's table of
 * actions is generated from this file (`npx tsx proto/vectors/make-audit-entry-vectors.ts`) and a
 * test fails when the two differ.
 *
 * Names: `warrantId` is a warrant's `jti` everywhere outside the JWT itself. A department
 * *answers* a warrant (`department.answered`); what the gateway keeps and serves of that answer
 * is the *result* (`result.downloaded`).
 *
 * The entry envelope (v, at, action, actor, inquiryId, requestId, details) is proto/audit-log.ts.
 */

export const AUDIT_ACTIONS = [
  'inquiry.submitted',
  'inquiry.approval_added',
  'inquiry.approved',
  'inquiry.rejected',
  'inquiry.withdrawn',
  'inquiry.expired',
  'authorization.denied',
  'warrant.issued',
  'warrant.read',
  'department.answered',
  'part.failed',
  'result.downloaded',
  'policy.changed',
  'keys.changed',
] as const;
export const AuditAction = z.enum(AUDIT_ACTIONS);
export type AuditAction = z.infer<typeof AuditAction>;

// ---- members shared by several actions ----------------------------------------------------------

const department = z.string().regex(DEPARTMENT_NAME).describe('the department, snake_case (`public_security`)');
const uuid = z.uuid();
const warrantId = z.string().min(1).max(128).describe("the warrant's `jti`");
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex SHA-256');
const count = z.number().int().nonnegative();
const instant = z.iso.datetime();
const policyIds = z.array(z.string().min(1)).describe('the `@id`s of the Cedar policies that decided');
const category = z.string().regex(/^[a-z][a-z0-9_]*$/);
const unitId = z.string().regex(/^\d{6}$/, 'a 6-digit division code');
/** `hmac:` + base64url (no padding) of the 32-byte HMAC-SHA256: see "Commitments" in docs/formats.md. */
export const COMMITMENT = /^hmac:[A-Za-z0-9_-]{43}$/;
const commitment = z.string().regex(COMMITMENT, 'a commitment (hmac: + 43 base64url characters)');
/**
 * Free text (a policy's reason, a withdrawal's reason, a redacted department error). The writer
 * replaces every resident ID number and credit-code look-alike in it by its commitment.
 */
const freeText = z.string().max(2000);

// ---- one schema per action ----------------------------------------------------------------------

const signature = z
  .strictObject({
    kid: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/).describe('the signer’s pseudonymous key id (from its signing-key certificate)'),
    sha256: z.string().regex(/^[A-Za-z0-9_-]{43}$/).describe('base64url SHA-256 of the signed JWS (statement or decision)'),
  })
  .optional()
  .describe('`{kid, sha256}` of the signed statement or decision, when it was signed (docs/formats.md, "Signed inquiries and approvals")');

const InquirySubmitted = z.strictObject({
  categories: z.array(category).min(1).describe('the data categories asked for'),
  subjects: count.describe('how many subjects (their ids are only in `commitments.subjects`)'),
  sensitivity: z.enum(['standard', 'sensitive', 'highly_sensitive']).describe('the highest sensitivity of the categories'),
  approvalChain: z
    .array(
      z.strictObject({
        role: z.enum(ROLES).describe('the role the step’s approvers hold (an approving role: `approver`, `regional_approver`)'),
        unitId: unitId.describe('the unit they belong to'),
        count: z.number().int().positive().describe('how many distinct approvers'),
      }),
    )
    .describe('the approvals it needs, in order, fixed at submission: `[{role, unitId, count}]`'),
  policyIds,
  onBehalfOf: unitId.optional().describe('entrusted mode: the unit the inquiry is for, when it is not the actor’s'),
  signature,
  parentId: z.uuid().optional().describe('a follow-up inquiry: the inquiry it follows from (same unit, case reference and legal basis)'),
  commitments: z
    .strictObject({
      key: z.string().regex(/^[0-9a-f]{8}$/).describe('the commitment key id'),
      case: commitment.describe('commitment (kind `case`) to the case reference'),
      subjects: z.array(commitment).min(1).describe('commitments (kind `subject`) to each subject id, in the inquiry’s order'),
    })
    .describe('`{key, case, subjects[]}`: keyed commitments, never the values'),
});

const decision = {
  decisionId: uuid.describe('the stored decision (approval or rejection)'),
  policyIds,
  signature,
};
const chainStep = {
  step: z.number().int().positive().describe('which step of the chain this approval filled, from 1'),
  steps: z.number().int().positive().describe('how many steps the chain has'),
  remaining: count.describe('approvals still needed after this one'),
};

const InquiryApprovalAdded = z.strictObject({ ...decision, ...chainStep });
const InquiryApproved = z.strictObject({
  ...decision,
  ...chainStep,
  departments: z.array(department).describe('the departments a warrant will go to (one part each)'),
});
const InquiryRejected = z.strictObject(decision);
const InquiryWithdrawn = z.strictObject({
  policyIds,
  reason: freeText.optional().describe('free text: the submitter’s reason, if given'),
});
const InquiryExpired = z.strictObject({
  expiresAt: instant.nullable().describe('when the pending inquiry expired'),
});
const AuthorizationDenied = z.strictObject({
  attempted: z.string().min(1).describe('what was tried (`inquiry.approve`, `audit.read_entries` …)'),
  reason: freeText.describe('free text: why it was refused, as the caller was told'),
  policyIds: policyIds.describe('the `@id`s of the forbids that refused; empty when no permit applied'),
  department: department.optional().describe('the department whose audit entries were asked for, if any'),
  repeated: z
    .strictObject({
      count: z.number().int().positive().describe('how many refusals this entry stands for'),
      from: instant.describe('the window’s start (the first refusal of the window)'),
      to: instant.describe('the window’s end'),
    })
    .optional()
    .describe('present when the entry counts the actor’s refusals past the rate audited one by one (`QIAO_DENIALS_PER_MINUTE`): they were answered 429 (or 404 for an inquiry the actor may not read) and are recorded here, once per window; `attempted` then lists the actions tried, comma-separated'),
});
const WarrantIssued = z.strictObject({
  department,
  partId: uuid.describe('the inquiry’s part for that department'),
  warrantId,
  attempt: z.number().int().positive().describe('the part’s attempt this warrant is for, from 1'),
  sha256: sha256Hex.describe('hex SHA-256 of the compact warrant JWS (its ASCII bytes)'),
  kid: z.string().min(1).describe('the key id that signed it (the gateway’s JWKS)'),
  categories: z.array(category).min(1).describe('the categories it names'),
  expiresAt: instant.describe('its `exp`, as an instant'),
});
const WarrantRead = z.strictObject({
  department,
  partId: uuid,
  warrantId,
  sha256: sha256Hex.describe('the digest of the warrant served, as in its `warrant.issued` entry'),
});
const DepartmentAnswered = z.strictObject({
  department,
  partId: uuid,
  warrantId: warrantId.describe('the warrant it answered'),
  attempt: z.number().int().positive(),
  format: z.string().min(1).describe('the result format (`qiao-stream-v2`, or `qiao-stream-v1`)'),
  records: count.describe('records, as the department’s trailer said'),
  bytes: count.describe('bytes of the result'),
  sha256: sha256Hex.describe('hex SHA-256 of the result bytes'),
  chunks: count.describe('chunks the gateway stored it in'),
  receiptSha256: sha256Hex.nullable().describe('hex SHA-256 of the receipt JWS; null when the department sent none'),
});
const PartFailed = z.strictObject({
  department,
  partId: uuid,
  attempts: z.number().int().nonnegative().describe('attempts made'),
  reason: freeText.describe('free text: why it failed (department errors are redacted)'),
  warrantId: warrantId.nullable().describe('the last attempt’s warrant, if one was issued'),
});
const ResultDownloaded = z.strictObject({
  department,
  warrantId: warrantId.describe('the warrant the result answers'),
  records: count,
  bytes: count,
  sha256: sha256Hex.describe('hex SHA-256 of the result bytes'),
});
const configuration = {
  changed: z.array(z.string()).describe('the names whose value differs from the last entry of this action'),
  first: z.boolean().describe('true when no earlier entry of this action exists'),
};
const PolicyChanged = z.strictObject({
  files: z.record(z.string(), sha256Hex).describe('policy file name → hex SHA-256 of its content'),
  ...configuration,
});
const KeysChanged = z.strictObject({
  keys: z.record(z.string(), z.string()).describe('role → key id (warrant signing, published warrant keys, checkpoint key, commitment key)'),
  ...configuration,
});

/** Who writes an entry: a user (`actor` present) or the gateway itself (`actor` absent). */
export type AuditActorRule = 'user' | 'gateway';
/** Whether the entry names an inquiry (`inquiryId`). */
export type AuditInquiryRule = 'required' | 'optional' | 'absent';

export interface AuditActionSpec {
  summary: string;
  actor: AuditActorRule;
  inquiry: AuditInquiryRule;
  details: z.ZodType;
}

export const AUDIT_ACTION_SPECS = {
  'inquiry.submitted': { summary: 'an investigator submitted an inquiry', actor: 'user', inquiry: 'required', details: InquirySubmitted },
  'inquiry.approval_added': { summary: 'an approval that does not yet complete the chain', actor: 'user', inquiry: 'required', details: InquiryApprovalAdded },
  'inquiry.approved': { summary: 'the approval that completes the chain; the parts are created', actor: 'user', inquiry: 'required', details: InquiryApproved },
  'inquiry.rejected': { summary: 'an approver rejected the inquiry (final)', actor: 'user', inquiry: 'required', details: InquiryRejected },
  'inquiry.withdrawn': { summary: 'the submitter withdrew a pending inquiry', actor: 'user', inquiry: 'required', details: InquiryWithdrawn },
  'inquiry.expired': { summary: 'a pending inquiry passed its expiry', actor: 'gateway', inquiry: 'required', details: InquiryExpired },
  'authorization.denied': { summary: 'a refused attempt: who tried what, and which policies said no', actor: 'user', inquiry: 'optional', details: AuthorizationDenied },
  'warrant.issued': { summary: 'a warrant was signed, stored and is about to be sent to one department', actor: 'gateway', inquiry: 'required', details: WarrantIssued },
  'warrant.read': { summary: 'an issued warrant was served to a reader (`GET /v1/inquiries/:id/warrants`)', actor: 'user', inquiry: 'required', details: WarrantRead },
  'department.answered': { summary: 'a department’s answer was received in full and stored as the part’s result', actor: 'gateway', inquiry: 'required', details: DepartmentAnswered },
  'part.failed': { summary: 'a department’s part failed for good', actor: 'gateway', inquiry: 'required', details: PartFailed },
  'result.downloaded': { summary: 'a result download started', actor: 'user', inquiry: 'required', details: ResultDownloaded },
  'policy.changed': { summary: 'the gateway started with policy files that differ from the last ones logged', actor: 'gateway', inquiry: 'absent', details: PolicyChanged },
  'keys.changed': { summary: 'the gateway started with key ids that differ from the last ones logged', actor: 'gateway', inquiry: 'absent', details: KeysChanged },
} as const satisfies Record<AuditAction, AuditActionSpec>;

export type AuditDetails<A extends AuditAction> = z.infer<(typeof AUDIT_ACTION_SPECS)[A]['details']>;

/** An entry of one action with its parsed details: what `checkAuditEntry` hands back. */
export type CheckedAuditEntry = { [A in AuditAction]: { action: A; details: AuditDetails<A> } }[AuditAction];

/** The members of an entry envelope this module checks (proto/audit-log.ts parses the rest). */
export interface AuditEntryShape {
  action: string;
  actor?: unknown;
  inquiryId?: string;
  details: unknown;
}

/**
 * Checks an entry against its action's rules: a known action, an actor exactly when a user acts,
 * an inquiry id where the action needs one, and details that match the action's schema. Returns
 * the typed details, or the problem in words (what is wrong and where).
 */
export function checkAuditEntry(entry: AuditEntryShape): { ok: true; entry: CheckedAuditEntry } | { ok: false; problem: string } {
  const action = AuditAction.safeParse(entry.action);
  if (!action.success) return { ok: false, problem: `unknown action ${JSON.stringify(entry.action)}` };
  const spec: AuditActionSpec = AUDIT_ACTION_SPECS[action.data];
  const name = action.data;
  if (spec.actor === 'user' && entry.actor === undefined) return { ok: false, problem: `${name} has no actor: a user does this` };
  if (spec.actor === 'gateway' && entry.actor !== undefined) return { ok: false, problem: `${name} has an actor: only the gateway itself does this` };
  if (spec.inquiry === 'required' && !entry.inquiryId) return { ok: false, problem: `${name} has no inquiryId` };
  if (spec.inquiry === 'absent' && entry.inquiryId !== undefined) return { ok: false, problem: `${name} names an inquiry, which it never concerns` };
  const details = spec.details.safeParse(entry.details);
  if (!details.success) {
    const issues = details.error.issues.map((i) => `${i.path.length ? `details.${i.path.join('.')}` : 'details'}: ${i.message}`).join('; ');
    return { ok: false, problem: `the details of ${name} do not match its format (${issues})` };
  }
  return { ok: true, entry: { action: name, details: details.data } as CheckedAuditEntry };
}
