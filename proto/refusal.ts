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
} as const satisfies Record<string, RefusalSpec>;

export type RefusalCode = keyof typeof REFUSALS;

/** The trailing metadata key that carries the code. */
export const REFUSAL_METADATA_KEY = 'qiao-refusal';

/** The code a call's trailer named, or null for anything that is not one of the contract's codes. */
export function parseRefusalCode(value: unknown): RefusalCode | null {
  return typeof value === 'string' && Object.hasOwn(REFUSALS, value) ? (value as RefusalCode) : null;
}
