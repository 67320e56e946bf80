import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, notExists } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Catalogue } from '../catalogue';
import type { Db, Tx } from '../db/client';
import { describeError } from '../logger';
import { inquiryParts, resultChunks, results } from '../db/schema';
import type { CallObserver, DepartmentCallRecord } from '../departments/activity';
import { DepartmentCallError, PERMANENT_CALL_FAILURES, type DepartmentDirectory } from '../departments/client';
import { REFUSALS } from '../../proto/refusal';
import { appendAudit, type AuditWriter } from '../services/audit/append-audit';
import { WarrantIssueError, type WarrantSigner } from '../warrants/issue-warrant';
import { issueWarrants, type WarrantOutcome } from './warrant-batch';
import type { ClaimedPart } from './claim';
import { SpanStatusCode, type Span } from '@opentelemetry/api';
import { contextFromTraceparent, inSpan } from '../../proto/node/tracing';
import { tracer } from '../telemetry';
import { AttemptFailure, LeaseLost, leaseHeld, receiveAnswer, recordAnswer, type Answer } from './receive-answer';

export interface ProcessContext {
  db: Db;
  directory: DepartmentDirectory;
  signer: WarrantSigner;
  catalogue: Catalogue;
  logger: Logger;
  workerId: string;
  callDeadlineMs: number;
  /** A call that receives nothing for this long is abandoned as a dead connection. */
  callIdleTimeoutMs?: number;
  /** Attempts for failures other than transport ones (those are retried until the part's deadline). */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** An answer past this size is refused (and its chunks dropped): a department cannot fill the database. */
  maxAnswerBytes: number;
  now: () => Date;
  /** Aborted when the worker stops: the call is cancelled and the part handed back at once. */
  signal?: AbortSignal;
  /** Writes the warrant, answer and failure entries with the gateway's commitment key. */
  audit: AuditWriter;
  /** Told how each call to a department ended (metrics, the departments view). */
  observeCall?: CallObserver;
  /** Told when a retry of a part is scheduled: the worker wakes itself then instead of waiting for its poll. */
  retryScheduled?: (nextAttemptAt: Date) => void;
}

export type PartOutcome = 'succeeded' | 'retrying' | 'failed' | 'lease_lost' | 'interrupted';

/**
 * What the worker prepared for an attempt: the warrant of the part, issued with the others of its
 * claim (warrant-batch.ts), and the claim's clock reading it was issued at.
 */
export interface PreparedAttempt {
  now: Date;
  warrant: Promise<WarrantOutcome | undefined>;
}

/**
 * One attempt at one claimed part: warrant (stored and logged before it leaves), call, chunks
 * stored as they arrive, trailer checked, then the answer recorded (`recordAnswer`: result + part
 * + audit in one statement), fenced by the lease (owner and attempt number), so a worker that
 * lost its part cannot overwrite the work of the one that took it over, and the results row
 * (keyed by part) is written at most once.
 */
export function processPart(ctx: ProcessContext, part: ClaimedPart, prepared?: PreparedAttempt): Promise<PartOutcome> {
  const attributes = { 'qiao.inquiry_id': part.inquiryId, 'qiao.part_id': part.id, 'qiao.department': part.department, 'qiao.attempt': part.attempts };
  // A child of the request that made the part pending: one trace from the approval to the answer.
  return inSpan(tracer, 'fanout.part', { attributes }, async (span) => {
    const outcome = await attemptPart(ctx, part, span, prepared);
    span.setAttribute('qiao.part_outcome', outcome);
    if (outcome === 'failed') span.setStatus({ code: SpanStatusCode.ERROR, message: 'part failed' });
    return outcome;
  }, contextFromTraceparent(part.traceParent));
}

/**
 * Why no warrant may be issued for this attempt (the part's deadline passed, it is what kills its
 * workers, no adapter is configured for its department), or null: the worker asks before it
 * issues the warrants of a claim, the attempt again before it runs.
 */
export function attemptBlocker(ctx: Pick<ProcessContext, 'maxAttempts' | 'directory'>, part: ClaimedPart, now: Date): unknown {
  const lastFailure = part.failureReason ? ` (last failure: ${part.failureReason})` : '';
  if (now.getTime() >= part.deadlineAt.getTime()) return new AttemptFailure(`deadline passed${lastFailure}`, true);
  if (part.takenOver && part.attempts > ctx.maxAttempts) {
    // The attempt before ended without a word (its worker died mid-call), and too many did: the
    // part may be what kills them.
    return new AttemptFailure(`gave up after ${ctx.maxAttempts} attempts${lastFailure}`, true);
  }
  try {
    ctx.directory.client(part.department);
  } catch (err) {
    return err;
  }
  return null;
}

async function attemptPart(ctx: ProcessContext, part: ClaimedPart, span: Span, prepared?: PreparedAttempt): Promise<PartOutcome> {
  const log = ctx.logger.child({ partId: part.id, inquiryId: part.inquiryId, department: part.department, attempt: part.attempts });
  const now = prepared?.now ?? ctx.now();
  const blocker = attemptBlocker(ctx, part, now);
  if (blocker) return settleFailure(ctx, part, log, null, blocker);

  let warrantId: string | null = null;
  /** When the department call started; null before it and once its end is observed. */
  let callStarted: number | null = null;
  try {
    const client = ctx.directory.client(part.department);
    const warrant = await inSpan(tracer, 'warrant.issue', {}, async (issuing) => {
      // Issued with the others of its claim (the worker), or alone (processPart called directly: the test harness).
      const outcome =
        (await prepared?.warrant) ??
        (await issueWarrants(ctx.db, { parts: [part], workerId: ctx.workerId, signer: ctx.signer, catalogue: ctx.catalogue, now, audit: ctx.audit })).get(part.id)!;
      if (!outcome.ok) throw outcome.error;
      issuing.setAttribute('qiao.warrant_jti', outcome.warrant.claims.jti);
      return outcome.warrant;
    });
    warrantId = warrant.claims.jti;
    span.setAttribute('qiao.warrant_jti', warrantId);
    log.info({ warrantId }, 'warrant issued, calling department');

    // The call ends before the part's deadline; the lease is renewed while it runs (worker.ts).
    // Durations come from the worker's clock (injectable), the gRPC deadline is wall-clock time.
    const budgetMs = Math.min(ctx.callDeadlineMs, part.deadlineAt.getTime() - now.getTime());
    const deadline = new Date(Date.now() + Math.max(0, budgetMs));
    callStarted = performance.now();
    const frames = client.execute(warrant.jws, { deadline, signal: ctx.signal, idleTimeoutMs: ctx.callIdleTimeoutMs });
    const answer = await receiveAnswer(ctx.db, { part, warrantId, maxAnswerBytes: ctx.maxAnswerBytes }, frames);
    observeCall(ctx, part.department, callStarted, { outcome: 'answered', bytes: answer.bytes });
    callStarted = null;

    const recorded = await inSpan(tracer, 'answer.record', { attributes: { 'qiao.records': answer.records, 'qiao.bytes': answer.bytes } }, () =>
      recordAnswerPatiently(ctx, log, { part, warrantId: warrant.claims.jti, answer }),
    );
    if (!recorded) throw new LeaseLost();
    log.info({ warrantId, records: answer.records, bytes: answer.bytes }, 'department answered');
    return 'succeeded';
  } catch (err) {
    if (callStarted !== null && !ctx.signal?.aborted) observeCall(ctx, part.department, callStarted, callOutcome(err, part.department));
    return settleFailure(ctx, part, log, warrantId, err);
  }
}

function observeCall(ctx: ProcessContext, department: string, started: number, ended: Omit<DepartmentCallRecord, 'department' | 'seconds' | 'at'>): void {
  ctx.observeCall?.({ department, seconds: (performance.now() - started) / 1000, at: ctx.now(), ...ended });
}

/** How a failed call ended, for the metrics and the departments view. */
function callOutcome(err: unknown, department: string): Omit<DepartmentCallRecord, 'department' | 'seconds' | 'at'> {
  if (err instanceof DepartmentCallError) {
    const { reason } = describeCallFailure(err, department);
    if (err.refusal) return { outcome: 'refused', refusal: err.refusal, bytes: err.bytesReceived, reason };
    return { outcome: err.transport ? 'transport_error' : 'error', bytes: err.bytesReceived, reason };
  }
  if (err instanceof AttemptFailure) return { outcome: 'error', bytes: 0, reason: err.reason };
  return { outcome: 'error', bytes: 0, reason: 'internal error' };
}

const RECORD_RETRIES_MS = [500, 1000, 2000, 4000];

/**
 * The answer is received and its chunks stored: a database that drops the connection now must
 * not cost the department's work. The write is retried a few times (the lease is renewed
 * meanwhile); a commit whose acknowledgement was lost is recognised by its results row.
 */
async function recordAnswerPatiently(
  ctx: ProcessContext,
  log: Logger,
  { part, warrantId, answer }: { part: ClaimedPart; warrantId: string; answer: Answer },
): Promise<boolean> {
  for (let retry = 0; ; retry++) {
    try {
      return await recordAnswer(ctx.db, ctx.audit, { part, workerId: ctx.workerId, warrantId, answer, completedAt: ctx.now() });
    } catch (err) {
      const waitMs = RECORD_RETRIES_MS[retry];
      if (waitMs === undefined || ctx.signal?.aborted) throw err;
      log.warn({ warrantId, err: errorName(err), retryInMs: waitMs }, 'could not record the answer; trying again');
      await sleep(waitMs);
      if (await answerRecorded(ctx.db, part.id, warrantId).catch(() => false)) return true;
    }
  }
}

async function answerRecorded(db: Db, partId: string, warrantId: string): Promise<boolean> {
  const rows = await db
    .select({ partId: results.partId })
    .from(results)
    .where(and(eq(results.partId, partId), eq(results.warrantId, warrantId)));
  return rows.length > 0;
}

/** Exponential backoff: base, 2×base, 4×base … capped. */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

async function settleFailure(
  ctx: ProcessContext,
  part: ClaimedPart,
  log: Logger,
  warrantId: string | null,
  err: unknown,
): Promise<PartOutcome> {
  if (warrantId) {
    // This attempt's chunks are worthless; a retry writes its own under a new warrant id. Unless
    // they are the part's result after all: a commit whose acknowledgement the connection lost.
    const recorded = ctx.db
      .select({ partId: results.partId })
      .from(results)
      .where(and(eq(results.partId, part.id), eq(results.warrantId, warrantId)));
    await ctx.db
      .delete(resultChunks)
      .where(and(eq(resultChunks.partId, part.id), eq(resultChunks.warrantId, warrantId), notExists(recorded)))
      .catch((e: unknown) => log.warn({ err: errorName(e) }, 'could not delete the chunks of a failed attempt'));
  }
  if (err instanceof LeaseLost) {
    log.warn({ warrantId }, 'lease lost: another worker holds the part, this attempt is dropped');
    return 'lease_lost';
  }
  const now = ctx.now();
  if (ctx.signal?.aborted) {
    // Shutting down: hand the part back at once, no backoff.
    const released = await ctx.db
      .update(inquiryParts)
      .set({
        status: 'pending',
        nextAttemptAt: now,
        leaseOwner: null,
        leaseExpiresAt: null,
        updatedAt: now,
        failureReason: 'interrupted: the worker stopped',
      })
      .where(leaseHeld(ctx.workerId, part))
      .returning({ id: inquiryParts.id });
    log.info({ warrantId }, 'worker stopping: part handed back');
    return released.length ? 'interrupted' : 'lease_lost';
  }

  const failure = describeFailure(err, part.department);
  if (failure.unexpected) {
    // describeError: a database error by its code only; a driver's message carries the SQL text and its parameters.
    log.error({ failure: describeError(err), warrantId }, 'attempt failed unexpectedly');
  }
  const nextAttemptAt = new Date(now.getTime() + retryDelayMs(part.attempts, ctx.retryBaseMs, ctx.retryMaxMs));
  const final =
    failure.permanent || (!failure.transport && part.attempts >= ctx.maxAttempts) || nextAttemptAt.getTime() >= part.deadlineAt.getTime();
  if (!final) {
    const retried = await ctx.db
      .update(inquiryParts)
      .set({ status: 'pending', nextAttemptAt, leaseOwner: null, leaseExpiresAt: null, updatedAt: now, failureReason: failure.reason })
      .where(leaseHeld(ctx.workerId, part))
      .returning({ id: inquiryParts.id });
    if (retried.length) ctx.retryScheduled?.(nextAttemptAt);
    log.warn(
      { warrantId, code: failure.code, nextAttemptAt, ...(failure.code === 'TLS' ? { reason: failure.reason } : {}) },
      failure.code === 'TLS' ? 'attempt failed on the department certificate, retry scheduled' : 'attempt failed, retry scheduled',
    );
    return retried.length ? 'retrying' : 'lease_lost';
  }

  const reason = failure.permanent
    ? failure.reason
    : part.attempts < ctx.maxAttempts || failure.transport
      ? `${failure.reason} (gave up: the part's deadline comes before another attempt)`
      : `${failure.reason} (gave up after ${part.attempts} attempts)`;
  const failed = await ctx.db.transaction(async (tx: Tx) => {
    const rows = await tx
      .update(inquiryParts)
      .set({ status: 'failed', completedAt: now, leaseOwner: null, leaseExpiresAt: null, updatedAt: now, failureReason: reason })
      .where(leaseHeld(ctx.workerId, part))
      .returning({ id: inquiryParts.id });
    if (rows.length === 0) return false;
    await appendAudit(
      tx,
      { action: 'part.failed', inquiryId: part.inquiryId, details: { department: part.department, partId: part.id, attempts: part.attempts, reason, warrantId } },
      ctx.audit,
    );
    return true;
  });
  log.warn({ warrantId, code: failure.code }, failed ? 'part failed' : 'lease lost before the part could be failed');
  return failed ? 'failed' : 'lease_lost';
}

interface Failure {
  reason: string;
  code: string;
  permanent: boolean;
  /** Retried until the part's deadline, whatever the attempt count. */
  transport?: boolean;
  unexpected?: boolean;
}

function describeFailure(err: unknown, department: string): Failure {
  if (err instanceof AttemptFailure) return { reason: err.reason, code: err.reason.split(':')[0]!, permanent: err.permanent };
  if (err instanceof DepartmentCallError) return describeCallFailure(err, department);
  if (err instanceof WarrantIssueError) return { reason: `warrant: ${err.message}`, code: err.problem, permanent: true };
  // A database or programming error: retry, but tell nothing of its text to the part's readers.
  return { reason: 'internal error', code: 'internal', permanent: false, unexpected: true };
}

/**
 * A failed call in words a person reads, saying whose side it was: the department's refusal (its
 * contract code, with the contract's retry rule), or the way there (transport), or ours. The far
 * side's own text is kept only for a refusal, redacted; a transport library's text never.
 */
export function describeCallFailure(err: DepartmentCallError, department: string): Failure {
  if (err.refusal) {
    const spec = REFUSALS[err.refusal];
    const detail = err.message.startsWith(spec.message) ? err.message : spec.message;
    return { reason: `${department} refused: ${redact(detail)}`, code: err.refusal, permanent: !spec.retryable };
  }
  const got = err.bytesReceived > 0 ? ` after ${mib(err.bytesReceived)} of the answer` : '';
  if (err.transport) {
    const tls = err.code === 'UNAVAILABLE' ? certificateProblem(err.message, department) : null;
    if (tls) return { reason: `transport: ${tls}; an operator must fix the certificate, retrying meanwhile`, code: 'TLS', permanent: false, transport: true };
    const what =
      err.code === 'DEADLINE_EXCEEDED'
        ? `${department} did not finish within the call deadline${err.bytesReceived > 0 ? ` (${mib(err.bytesReceived)} received)` : ''}`
        : err.code === 'IDLE'
          ? `${department} went silent${got}: connection abandoned`
          : err.code === 'UNAVAILABLE' && err.bytesReceived === 0
            ? `${department} unreachable`
            : `connection to ${department} lost${got}`;
    return { reason: `transport: ${what}`, code: err.code, permanent: false, transport: true };
  }
  if (err.code === 'NOT_CONFIGURED') return { reason: `gateway: no adapter configured for ${department}`, code: err.code, permanent: false };
  if (err.code === 'PROTOCOL') return { reason: `protocol: ${department} sent ${redact(err.message)}`, code: err.code, permanent: false };
  // A status without a contract code (an adapter of an older contract): its text, redacted.
  return {
    reason: `${department} refused: ${err.code}${err.message ? ` ${redact(err.message)}` : ''}`,
    code: err.code,
    permanent: PERMANENT_CALL_FAILURES.has(err.code),
  };
}

/**
 * A connection that failed in its TLS handshake, in plain words: retried like an outage (an
 * operator may install the right certificate), but said for what it is. Reads the handshake's
 * error as Node's TLS, checkDepartmentIdentity and the TLS probe (departments/grpc-client.ts)
 * word it; null for any other failure.
 */
export function certificateProblem(message: string, department: string): string | null {
  // Worded by the department client after its TLS probe (departments/tls-probe.ts).
  if (message.startsWith(`${department} refused the gateway's client certificate`) || message.startsWith(`${department} refused the TLS handshake`)) return message;
  if (/certificate does not name|Hostname\/IP does not match|ERR_TLS_CERT_ALTNAME/i.test(message)) {
    return `the certificate of ${department}'s adapter is not issued for ${department} (wrong name: another department's, or another host's)`;
  }
  if (/unable to verify|self[- ]signed certificate|unable to get (local )?issuer|UNABLE_TO_VERIFY|DEPTH_ZERO_SELF_SIGNED/i.test(message)) {
    return `the certificate of ${department}'s adapter is not trusted: it is not issued by the certificate authority the gateway trusts`;
  }
  if (/certificate has expired|CERT_HAS_EXPIRED/i.test(message)) return `the certificate of ${department}'s adapter has expired`;
  if (/certificate is not yet valid|CERT_NOT_YET_VALID/i.test(message)) return `the certificate of ${department}'s adapter is not valid yet (check both clocks)`;
  return null;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/**
 * A department's error text is not ours: it could echo an id number or a name. Keep it short and
 * blank out anything that looks like a resident id or a credit code.
 */
export function redact(text: string): string {
  return text
    .replace(/[0-9A-Z]{18}/g, '[redacted]')
    .replace(/\d{6,}/g, '[redacted]')
    .replace(/\s+/g, ' ')
    .slice(0, 200);
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}
