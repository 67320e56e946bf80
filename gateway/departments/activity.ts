/**
 * What this replica saw of each department's calls: the observer the fan-out tells of every call
 * (gateway/fanout/process.ts), feeding the metrics and the departments view (GET /v1/departments).
 * It holds department names, times, counts, contract refusal codes and the redacted failure
 * reason the part also stores — never a subject, an inquiry or a warrant.
 */

/** How a call to a department ended, as the gateway saw it. */
export const CALL_OUTCOMES = ['answered', 'refused', 'transport_error', 'error'] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

export interface DepartmentCallRecord {
  department: string;
  outcome: CallOutcome;
  /** The contract's refusal code (proto/refusal.ts) when the department refused. */
  refusal?: string;
  seconds: number;
  /** Ciphertext bytes received (all of the answer, or what came before the failure). */
  bytes: number;
  /** A failure in words (redacted, as stored on the part); absent for an answer. */
  reason?: string;
  at: Date;
}

export type CallObserver = (call: DepartmentCallRecord) => void;

export interface DepartmentActivityEntry {
  lastSuccessAt: string | null;
  lastFailure: { at: string; outcome: Exclude<CallOutcome, 'answered'>; reason: string } | null;
  /** Refused calls by refusal code. */
  refusals: Record<string, number>;
  calls: number;
}

export interface DepartmentActivity {
  /** When it started counting. */
  readonly since: string;
  record: CallObserver;
  get(department: string): DepartmentActivityEntry;
}

export function createDepartmentActivity(clock: () => Date = () => new Date()): DepartmentActivity {
  const seen = new Map<string, DepartmentActivityEntry>();
  const since = clock().toISOString();
  const empty = (): DepartmentActivityEntry => ({ lastSuccessAt: null, lastFailure: null, refusals: {}, calls: 0 });
  return {
    since,
    record(call) {
      const entry = seen.get(call.department) ?? empty();
      entry.calls += 1;
      if (call.outcome === 'answered') entry.lastSuccessAt = call.at.toISOString();
      else entry.lastFailure = { at: call.at.toISOString(), outcome: call.outcome, reason: call.reason ?? call.outcome };
      if (call.outcome === 'refused' && call.refusal) entry.refusals[call.refusal] = (entry.refusals[call.refusal] ?? 0) + 1;
      seen.set(call.department, entry);
    },
    get(department) {
      const entry = seen.get(department);
      return entry ? { ...entry, refusals: { ...entry.refusals } } : empty();
    },
  };
}
