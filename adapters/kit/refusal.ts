import { Metadata, type status } from '@grpc/grpc-js';
import { REFUSAL_METADATA_KEY, REFUSALS, type RefusalCode } from '../../proto/refusal';
import type { WarrantErrorCode } from '../../proto/warrant';

export { REFUSAL_METADATA_KEY, REFUSALS, type RefusalCode } from '../../proto/refusal';

export class Refusal extends Error {
  override readonly name = 'Refusal';
  constructor(
    readonly code: RefusalCode,
    /** Extra words for the caller: category or field names, counts — never subjects. */
    readonly detail?: string,
    options?: ErrorOptions,
  ) {
    super(detail ? `${REFUSALS[code].message}: ${detail}` : REFUSALS[code].message, options);
  }

  /** The gRPC status of the contract's code (proto/refusal.ts). */
  get status(): status {
    return REFUSALS[this.code].grpcStatus as number as status;
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
