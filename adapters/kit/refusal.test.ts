import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { GRPC_STATUS, parseRefusalCode, REFUSALS } from '../../proto/refusal';
import { Refusal, REFUSAL_METADATA_KEY, type RefusalCode } from './refusal';

describe("the contract's refusals, as the adapter sends them", () => {
  it("carry the contract's gRPC status (the spec's numbers are grpc-js's) and code", () => {
    for (const [name, n] of Object.entries(GRPC_STATUS)) expect(status[name as keyof typeof status]).toBe(n);
    for (const code of Object.keys(REFUSALS) as RefusalCode[]) {
      const sent = new Refusal(code, 'detail').toServiceError();
      expect(sent.code).toBe(REFUSALS[code].grpcStatus);
      expect(sent.details).toBe(`${REFUSALS[code].message}: detail`);
      expect(parseRefusalCode(sent.metadata.get(REFUSAL_METADATA_KEY)[0])).toBe(code);
    }
  });

  it('name only codes of the contract: anything else reads as no code', () => {
    expect(parseRefusalCode('toString')).toBeNull();
    expect(parseRefusalCode('retry_forever')).toBeNull();
    expect(parseRefusalCode(undefined)).toBeNull();
  });
});
