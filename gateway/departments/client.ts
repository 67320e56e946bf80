import type { DescribeResponse, ResultFrame } from '../../proto/grpc/department';
import type { RefusalCode } from '../../proto/refusal';

export type { DescribeResponse, ResultFrame };

export interface ExecuteOptions {
  /** Absolute deadline of the whole call, stream included (the gRPC deadline). */
  deadline: Date;
  /** Aborting cancels the call; the iterator then throws a `DepartmentCallError` with code CANCELLED. */
  signal?: AbortSignal;
  /**
   * The call is abandoned (code IDLE) when no frame arrives for this long: a connection that went
   * silent is given up in seconds, not at the deadline. Default: none.
   */
  idleTimeoutMs?: number;
}

/** The gateway's view of one department adapter. Real: grpc-client.ts; tests: fake-client.ts. */
export interface DepartmentClient {
  readonly department: string;
  /** Runs a warrant; yields the header, the ciphertext chunks and the trailer as they arrive. */
  execute(warrant: string, options: ExecuteOptions): AsyncIterable<ResultFrame>;
  describe(options?: { deadline?: Date }): Promise<DescribeResponse>;
  close(): void;
}

/** Which adapter answers for which department. */
export interface DepartmentDirectory {
  departments(): string[];
  /** Throws `DepartmentCallError` (code NOT_CONFIGURED) when no adapter is known for the department. */
  client(department: string): DepartmentClient;
  close(): Promise<void>;
}

/**
 * Why a call to a department failed: a gRPC status name (UNAVAILABLE, DEADLINE_EXCEEDED,
 * PERMISSION_DENIED …), IDLE (nothing arrived for the idle timeout), PROTOCOL or NOT_CONFIGURED;
 * `refusal` is the contract's code when the department said no (its `qiao-refusal` trailer).
 * `message` comes from the far side and may be anything: it is not logged, and only a redacted
 * form is stored (see gateway/fanout/process.ts).
 */
export class DepartmentCallError extends Error {
  override readonly name = 'DepartmentCallError';
  /** Ciphertext bytes of the answer received before the call broke (set by the receiver). */
  bytesReceived = 0;
  constructor(
    readonly code: string,
    message: string,
    readonly department: string,
    readonly refusal: RefusalCode | null = null,
  ) {
    super(message);
  }

  /**
   * The call broke on the way (unreachable, reset, silent, cut short, the deadline) rather than
   * the department answering no: a new attempt on a fresh connection may get through, so such
   * failures are retried until the part's deadline, whatever the attempt count.
   */
  get transport(): boolean {
    return this.refusal === null && TRANSPORT_CODES.has(this.code);
  }
}

const TRANSPORT_CODES: ReadonlySet<string> = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'IDLE', 'CANCELLED', 'INTERNAL', 'UNKNOWN', 'RESOURCE_EXHAUSTED', 'ABORTED']);

/** A status no retry can change when the department sent no refusal code with it (an older adapter). */
export const PERMANENT_CALL_FAILURES: ReadonlySet<string> = new Set(['INVALID_ARGUMENT', 'UNIMPLEMENTED']);
