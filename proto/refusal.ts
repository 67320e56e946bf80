/**
 * Every way a department's adapter says no to a warrant, as all three sides name it: the code
 * (sent as the `qiao-refusal` trailing metadata of the gRPC call), the gRPC status it travels
 * with, the message the caller sees, and whether a retry — a new attempt with a fresh warrant —
 * can change the answer. The gateway acts on the code, never on the status or the message.
 * Messages never name a subject.
 */

/** The gRPC status codes the refusals use (numbers of the gRPC spec; proto/ has no grpc-js outside grpc/). */
export const GRPC_STATUS = {
  INVALID_ARGUMENT: 3,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export interface RefusalSpec {
  grpcStatus: (typeof GRPC_STATUS)[keyof typeof GRPC_STATUS];
  /** A new attempt (fresh warrant, later, on a fresh connection) may be served. */
  retryable: boolean;
  message: string;
}

const S = GRPC_STATUS;

export const REFUSALS = {
  client_not_gateway: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: "client certificate is not the gateway's" },
  warrant_malformed: { grpcStatus: S.UNAUTHENTICATED, retryable: false, message: 'warrant is malformed' },
  // The department may not have fetched a newly published key yet: it refetches on an unknown key id.
  warrant_unknown_key: { grpcStatus: S.UNAUTHENTICATED, retryable: true, message: "warrant is signed with a key not in the gateway's JWKS" },
  warrant_bad_signature: { grpcStatus: S.UNAUTHENTICATED, retryable: false, message: 'warrant signature does not verify' },
  warrant_wrong_issuer: { grpcStatus: S.UNAUTHENTICATED, retryable: false, message: 'warrant is not issued by the gateway' },
  warrant_wrong_audience: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: 'warrant is addressed to another department' },
  // Each attempt carries a new warrant with a new lifetime.
  warrant_expired: { grpcStatus: S.UNAUTHENTICATED, retryable: true, message: 'warrant has expired' },
  warrant_not_yet_valid: { grpcStatus: S.UNAUTHENTICATED, retryable: true, message: 'warrant is not valid yet' },
  warrant_replayed: { grpcStatus: S.ALREADY_EXISTS, retryable: true, message: 'warrant was already used: every attempt needs a new warrant' },
  recipient_key_not_certified: {
    grpcStatus: S.PERMISSION_DENIED,
    retryable: false,
    message: 'warrant recipient key is not certified for the requesting unit by the directory authority',
  },
  category_not_served: { grpcStatus: S.INVALID_ARGUMENT, retryable: false, message: 'warrant names a category this department does not serve' },
  field_not_in_category: { grpcStatus: S.INVALID_ARGUMENT, retryable: false, message: 'warrant names a field its category does not have' },
  too_many_subjects: { grpcStatus: S.INVALID_ARGUMENT, retryable: false, message: 'warrant names more subjects than one warrant may carry' },
  source_failed: { grpcStatus: S.INTERNAL, retryable: true, message: "the department's data source failed" },
  // The signed statement and approvals the warrant carries (proto/approval-evidence.ts): what
  // they show does not change with another attempt.
  evidence_missing: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: 'warrant carries no signed statement and approvals' },
  statement_invalid: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: "the inquiry statement's signature or content is invalid" },
  signer_not_certified: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: 'a signing key is not certified by the directory authority' },
  signer_certificate_expired: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: 'a signing key was not certified when it signed' },
  signer_revoked: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: 'a signing key is revoked by the directory authority' },
  signer_wrong_role: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: 'a signing key is not certified for the role it acts in' },
  signer_wrong_unit: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: 'a signing key is certified for a unit that may not sign this' },
  decision_invalid: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: "an approval's signature or content is invalid" },
  decision_other_inquiry: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: 'an approval is a decision on another statement' },
  warrant_outside_statement: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: 'warrant asks for more than the signed statement' },
  approver_is_submitter: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: "the statement's signer approves its own inquiry" },
  approver_counted_twice: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: 'one approver counts more than once' },
  approval_rule_unmet: { grpcStatus: S.PERMISSION_DENIED, retryable: false, message: "the approvals do not meet this department's own minimum rules" },
  // Fail-closed until the department holds a fresh list again: a later attempt may pass.
  revocations_stale: { grpcStatus: S.UNAVAILABLE, retryable: true, message: 'this department holds no fresh revocation list from the directory' },
} as const satisfies Record<string, RefusalSpec>;

export type RefusalCode = keyof typeof REFUSALS;

/** The trailing metadata key that carries the code. */
export const REFUSAL_METADATA_KEY = 'qiao-refusal';

/** The code a call's trailer named, or null for anything that is not one of the contract's codes. */
export function parseRefusalCode(value: unknown): RefusalCode | null {
  return typeof value === 'string' && Object.hasOwn(REFUSALS, value) ? (value as RefusalCode) : null;
}
