import { Metadata, status } from '@grpc/grpc-js';
import type { WarrantErrorCode } from '../../proto/warrant';

/**
 * Every way an adapter says no, with its gRPC status and the message the caller sees. The code
 * also travels as trailing metadata `qiao-refusal`, so the gateway can act on it (for example
 * issue a fresh warrant after `warrant_expired`) without parsing messages. Messages never name
 * a subject.
 */
export const REFUSALS = {
  client_not_gateway: [status.PERMISSION_DENIED, "client certificate is not the gateway's"],
  warrant_malformed: [status.UNAUTHENTICATED, 'warrant is malformed'],
  warrant_unknown_key: [status.UNAUTHENTICATED, "warrant is signed with a key not in the gateway's JWKS"],
  warrant_bad_signature: [status.UNAUTHENTICATED, 'warrant signature does not verify'],
  warrant_wrong_issuer: [status.UNAUTHENTICATED, 'warrant is not issued by the gateway'],
  warrant_wrong_audience: [status.PERMISSION_DENIED, 'warrant is addressed to another department'],
  warrant_expired: [status.UNAUTHENTICATED, 'warrant has expired'],
  warrant_not_yet_valid: [status.UNAUTHENTICATED, 'warrant is not valid yet'],
  warrant_replayed: [status.ALREADY_EXISTS, 'warrant was already used: every attempt needs a new warrant'],
  recipient_key_not_certified: [status.PERMISSION_DENIED, 'warrant recipient key is not certified for the requesting unit by the directory authority'],
  category_not_served: [status.INVALID_ARGUMENT, 'warrant names a category this department does not serve'],
  field_not_in_category: [status.INVALID_ARGUMENT, 'warrant names a field its category does not have'],
  too_many_subjects: [status.INVALID_ARGUMENT, 'warrant names more subjects than one warrant may carry'],
  source_failed: [status.INTERNAL, "the department's data source failed"],
  // The signed statement and approvals the warrant carries (proto/approval-evidence.ts).
  evidence_missing: [status.PERMISSION_DENIED, 'warrant carries no signed statement and approvals'],
  statement_invalid: [status.PERMISSION_DENIED, "the inquiry statement's signature or content is invalid"],
  signer_not_certified: [status.PERMISSION_DENIED, 'a signing key is not certified by the directory authority'],
  signer_certificate_expired: [status.PERMISSION_DENIED, 'a signing key was not certified when it signed'],
  signer_revoked: [status.PERMISSION_DENIED, 'a signing key is revoked by the directory authority'],
  signer_wrong_role: [status.PERMISSION_DENIED, 'a signing key is not certified for the role it acts in'],
  signer_wrong_unit: [status.PERMISSION_DENIED, 'a signing key is certified for a unit that may not sign this'],
  decision_invalid: [status.PERMISSION_DENIED, "an approval's signature or content is invalid"],
  decision_other_inquiry: [status.PERMISSION_DENIED, 'an approval is a decision on another statement'],
  warrant_outside_statement: [status.PERMISSION_DENIED, 'warrant asks for more than the signed statement'],
  approver_is_submitter: [status.PERMISSION_DENIED, "the statement's signer approves its own inquiry"],
  approver_counted_twice: [status.PERMISSION_DENIED, 'one approver counts more than once'],
  approval_rule_unmet: [status.PERMISSION_DENIED, "the approvals do not meet this department's own minimum rules"],
  revocations_stale: [status.UNAVAILABLE, 'this department holds no fresh revocation list from the directory'],
} as const satisfies Record<string, readonly [status, string]>;

export type RefusalCode = keyof typeof REFUSALS;

export const REFUSAL_METADATA_KEY = 'qiao-refusal';

export class Refusal extends Error {
  override readonly name = 'Refusal';
  constructor(
    readonly code: RefusalCode,
    /** Extra words for the caller: category or field names, counts — never subjects. */
    readonly detail?: string,
    options?: ErrorOptions,
  ) {
    super(detail ? `${REFUSALS[code][1]}: ${detail}` : REFUSALS[code][1], options);
  }

  get status(): status {
    return REFUSALS[this.code][0];
  }

  /** The error object grpc-js turns into the call's status. */
  toServiceError(): { code: status; details: string; metadata: Metadata } {
    const metadata = new Metadata();
    metadata.set(REFUSAL_METADATA_KEY, this.code);
    return { code: this.status, details: this.message, metadata };
  }
}

const WARRANT_REFUSALS: Record<WarrantErrorCode, RefusalCode> = {
  malformed: 'warrant_malformed',
  unknown_key: 'warrant_unknown_key',
  bad_signature: 'warrant_bad_signature',
  wrong_issuer: 'warrant_wrong_issuer',
  wrong_audience: 'warrant_wrong_audience',
  expired: 'warrant_expired',
  not_yet_valid: 'warrant_not_yet_valid',
};

export function warrantRefusal(code: WarrantErrorCode, detail?: string): Refusal {
  return new Refusal(WARRANT_REFUSALS[code], detail);
}
