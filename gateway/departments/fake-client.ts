import { createHash } from 'node:crypto';
import { decodeJwt, type JWTPayload } from 'jose';
import type { RefusalCode } from '../../proto/refusal';
import {
  DepartmentCallError,
  type DepartmentClient,
  type DepartmentDirectory,
  type DescribeResponse,
  type ExecuteOptions,
  type ResultFrame,
} from './client';

/** One call the fake received. The warrant is decoded, not verified: tests check what was sent. */
export interface FakeCall {
  department: string;
  warrant: string;
  claims: JWTPayload & Record<string, unknown>;
  deadline: Date;
  signal?: AbortSignal;
  /** 1 for the first call to this department, 2 for the next … */
  number: number;
}

/** What the fake department does with a call: yield frames, or throw (a DepartmentCallError, say). */
export type FakeBehaviour = (call: FakeCall) => Iterable<ResultFrame> | AsyncIterable<ResultFrame>;

/** An in-memory DepartmentDirectory for tests of the fan-out worker. */
export class FakeDepartmentDirectory implements DepartmentDirectory {
  readonly calls: FakeCall[] = [];
  private readonly behaviours = new Map<string, FakeBehaviour>();
  closed = false;

  constructor(behaviours: Record<string, FakeBehaviour> = {}) {
    for (const [department, behaviour] of Object.entries(behaviours)) this.behaviours.set(department, behaviour);
  }

  set(department: string, behaviour: FakeBehaviour): this {
    this.behaviours.set(department, behaviour);
    return this;
  }

  departments(): string[] {
    return [...this.behaviours.keys()];
  }

  client(department: string): DepartmentClient {
    const behaviour = this.behaviours.get(department);
    if (!behaviour) throw new DepartmentCallError('NOT_CONFIGURED', `no adapter for ${department}`, department);
    const calls = this.calls;
    return {
      department,
      execute(warrant: string, options: ExecuteOptions): AsyncIterable<ResultFrame> {
        const number = calls.filter((c) => c.department === department).length + 1;
        const call: FakeCall = { department, warrant, claims: decodeJwt(warrant), deadline: options.deadline, signal: options.signal, number };
        calls.push(call);
        return guard(call, behaviour);
      },
      async describe(): Promise<DescribeResponse> {
        return { department, displayName: department, categories: [] };
      },
      close() {},
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Applies the deadline and the abort signal the way a real gRPC call would. */
async function* guard(call: FakeCall, behaviour: FakeBehaviour): AsyncIterable<ResultFrame> {
  const check = () => {
    if (call.signal?.aborted) throw new DepartmentCallError('CANCELLED', 'call cancelled', call.department);
    if (Date.now() >= call.deadline.getTime()) throw new DepartmentCallError('DEADLINE_EXCEEDED', 'deadline exceeded', call.department);
  };
  check();
  for await (const frame of behaviour(call)) {
    check();
    yield frame;
  }
}

export interface AnswerOptions {
  department: string;
  warrantId: string;
  ciphertext: Uint8Array;
  records: number;
  chunkSize?: number;
  format?: string;
  /** Overrides of the trailer, to make a lying department. */
  trailer?: Partial<{ records: number; bytes: number; sha256: string; receipt: string }>;
}

/** The frames an honest department sends for `ciphertext`: header, chunks, trailer. */
export function answerFrames(options: AnswerOptions): ResultFrame[] {
  const chunkSize = options.chunkSize ?? 64 * 1024;
  const frames: ResultFrame[] = [
    {
      frame: 'header',
      header: { format: options.format ?? 'qiao-jwe-ndjson-v1', warrantId: options.warrantId, department: options.department },
    },
  ];
  for (let offset = 0; offset < options.ciphertext.length; offset += chunkSize) {
    frames.push({ frame: 'chunk', chunk: options.ciphertext.subarray(offset, offset + chunkSize) });
  }
  frames.push({
    frame: 'trailer',
    trailer: {
      records: options.records,
      bytes: options.ciphertext.length,
      sha256: createHash('sha256').update(options.ciphertext).digest('hex'),
      receipt: '',
      ...options.trailer,
    },
  });
  return frames;
}

/** A behaviour that answers every warrant honestly with `ciphertext`. */
export function answerWith(ciphertext: Uint8Array, records: number, options: { chunkSize?: number } = {}): FakeBehaviour {
  return (call) =>
    answerFrames({ department: call.department, warrantId: String(call.claims.jti), ciphertext, records, ...options });
}

/** A behaviour that refuses every call with a gRPC status name, and the contract's refusal code if given. */
export function refuseWith(code: string, message = `refused: ${code}`, refusal: RefusalCode | null = null): FakeBehaviour {
  return (call) => {
    throw new DepartmentCallError(code, message, call.department, refusal);
  };
}
