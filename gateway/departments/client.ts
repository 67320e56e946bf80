import type { DescribeResponse, ResultFrame } from '../../proto/grpc/department';

export type { DescribeResponse, ResultFrame };

export interface ExecuteOptions {
  /** Absolute deadline of the whole call, stream included (the gRPC deadline). */
  deadline: Date;
  /** Aborting cancels the call; the iterator then throws a `DepartmentCallError` with code CANCELLED. */
  signal?: AbortSignal;
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
 * PERMISSION_DENIED …) or NOT_CONFIGURED. `message` comes from the far side and may be anything:
 * it is not logged, and only a redacted form is stored (see gateway/fanout/process.ts).
 */
export class DepartmentCallError extends Error {
  override readonly name = 'DepartmentCallError';
  constructor(
    readonly code: string,
    message: string,
    readonly department: string,
  ) {
    super(message);
  }
}

/** A refusal that no retry can change: the warrant itself asks for something the department will not serve. */
export const PERMANENT_CALL_FAILURES: ReadonlySet<string> = new Set(['INVALID_ARGUMENT', 'UNIMPLEMENTED']);
