import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { loadCatalogue, type Catalogue } from '../catalogue';
import type { Db } from '../db/client';
import type { CallObserver } from '../departments/activity';
import type { DepartmentDirectory } from '../departments/client';
import type { AuditWriter } from '../services/audit/append-audit';
import type { WarrantSigner } from '../warrants/issue-warrant';
import { claimDueParts, renewLease, type ClaimedPart } from './claim';
import { attemptBlocker, processPart, type PreparedAttempt, type ProcessContext } from './process';
import { issueWarrants } from './warrant-batch';

export const DEFAULT_CATALOGUE_FILE = fileURLToPath(new URL('../../policies/categories.json', import.meta.url));

/**
 * The channel a trigger (migration fanout-notify) notifies when a part becomes pending: every
 * replica listens on it (server.ts) and wakes its worker, so an approval on one replica starts
 * the fan-out on whichever has a free slot. Polling remains the fallback.
 */
export const FANOUT_DUE_CHANNEL = 'qiao_fanout_due';

/**
 * What an approval wakes (services' `fanout`). Its commit notifies FANOUT_DUE_CHANNEL, which the
 * approving replica hears like every other: woken by the approval as well, its worker would
 * claim twice and the second claim would find nothing. So the approval wakes the worker itself
 * only while that notification would not be heard (the listening connection being opened
 * again); the worker's poll stays the fallback.
 */
export function approvalWaker(database: { listening(channel: string): boolean }, worker: { wake(): void }): { wake(): void } {
  return {
    wake() {
      if (!database.listening(FANOUT_DUE_CHANNEL)) worker.wake();
    },
  };
}

export interface FanoutWorkerOptions {
  db: Db;
  directory: DepartmentDirectory;
  signer: WarrantSigner;
  /** Default: policies/categories.json of this repository, read at the first claim. */
  catalogue?: Catalogue;
  logger: Logger;
  /** Unique per process (e.g. hostname + pid + random): the lease owner. */
  workerId: string;
  /** How often to look for due parts when nobody calls wake() (the fallback to notifications). */
  pollIntervalMs: number;
  /**
   * How long a claimed part stays this worker's without a word from it. Renewed every
   * `leaseRenewMs` while its call runs, so it is independent of the call deadline: a replica that
   * dies loses its parts within one lease.
   */
  leaseMs: number;
  /** Default: a third of `leaseMs`, so two renewals may fail before the lease runs out. */
  leaseRenewMs?: number;
  callDeadlineMs: number;
  /** A call on which nothing arrives for this long is abandoned as a dead connection; default none. */
  callIdleTimeoutMs?: number;
  /** Attempts for failures other than transport ones; those are retried until the part's deadline. */
  maxAttempts: number;
  now?: () => Date;
  /** Parts in flight at once; the next is claimed as soon as one of them settles. Default 8. */
  concurrency?: number;
  /** Backoff of retries: retryBaseMs × 2^(attempt−1), at most retryMaxMs; defaults 1 s and 30 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Largest answer stored for one part; default 1 GiB. */
  maxAnswerBytes?: number;
  /** false: no claims of its own (no polling, wake() does nothing); parts run only through runOnce() (tests). Default true. */
  autoStart?: boolean;
  /** The gateway's audit writer (its commitment key), the same the HTTP services use. */
  audit: AuditWriter;
  /** Told how each department call ended (metrics, the departments view). */
  observeCall?: CallObserver;
}

export interface FanoutWorker {
  /** Look for due parts now (after an approval created some). */
  wake(): void;
  /** Claims due parts into the free slots and runs them to an outcome; resolves to the number claimed. */
  runOnce(): Promise<number>;
  /**
   * Runs parts until nothing is due: resolves once a claim finds no due part and no part of this
   * worker is still in flight. A part whose next attempt is scheduled later is not due, and is
   * left to its time.
   */
  drain(): Promise<void>;
  /** Stops claiming, cancels calls in flight (their parts are handed back at once), waits for them. */
  stop(): Promise<void>;
  /** Parts in flight now (slots in use). */
  inFlight(): number;
}

/**
 * The fan-out of one replica: a fixed number of slots, each running one part at a time. A slot
 * that frees claims the next due part at once, so a slow or stalled call holds only its own slot
 * and never delays other parts behind it. While a part runs, its lease is renewed; a renewal
 * that finds the lease taken cancels the call.
 */
export function startFanoutWorker(options: FanoutWorkerOptions): FanoutWorker {
  if (options.maxAttempts < 1) throw new Error('maxAttempts must be at least 1');
  const renewMs = options.leaseRenewMs ?? Math.floor(options.leaseMs / 3);
  if (renewMs <= 0 || renewMs >= options.leaseMs) throw new Error(`leaseRenewMs (${renewMs}) must be between 0 and leaseMs (${options.leaseMs})`);
  const now = options.now ?? (() => new Date());
  const concurrency = options.concurrency ?? 8;
  if (concurrency < 1) throw new Error('concurrency must be at least 1');
  const autoStart = options.autoStart !== false;
  const logger = options.logger.child({ component: 'fanout', workerId: options.workerId });
  const stopping = new AbortController();
  let catalogue: Promise<Catalogue> | null = options.catalogue ? Promise.resolve(options.catalogue) : null;
  const ctx: Omit<ProcessContext, 'catalogue' | 'signal'> = {
    db: options.db,
    directory: options.directory,
    signer: options.signer,
    logger,
    workerId: options.workerId,
    callDeadlineMs: options.callDeadlineMs,
    callIdleTimeoutMs: options.callIdleTimeoutMs,
    maxAttempts: options.maxAttempts,
    retryBaseMs: options.retryBaseMs ?? 1000,
    retryMaxMs: options.retryMaxMs ?? 30_000,
    maxAnswerBytes: options.maxAnswerBytes ?? 1024 ** 3,
    now,
    audit: options.audit,
    ...(options.observeCall ? { observeCall: options.observeCall } : {}),
    retryScheduled,
  };
  /** Parts in flight, by part id. */
  const active = new Map<string, Promise<void>>();
  /** Claims run one at a time, so the slots are never overcommitted. */
  let claimQueue: Promise<unknown> = Promise.resolve();
  let claiming = 0;

  function loadedCatalogue(): Promise<Catalogue> {
    catalogue ??= loadCatalogue(DEFAULT_CATALOGUE_FILE).catch((err: unknown) => {
      catalogue = null; // read it again next time
      throw err;
    });
    return catalogue;
  }

  /** Claims due parts into the free slots and starts them; resolves to the parts started and the slots it asked for. */
  function claim(): Promise<{ started: Promise<void>[]; asked: number }> {
    claiming += 1;
    const run = claimQueue.then(async () => {
      const free = concurrency - active.size;
      if (free <= 0 || stopping.signal.aborted) return { started: [], asked: 0 };
      const processContext = { ...ctx, catalogue: await loadedCatalogue() };
      const at = now();
      // Never its own parts in flight: a renewal that comes late must not make this worker take
      // back a part it is still running (twice in one process).
      const parts = await claimDueParts(options.db, { workerId: options.workerId, now: at, leaseMs: options.leaseMs, limit: free, exclude: [...active.keys()] });
      // The warrants of the claim in one transaction; a part that may not get one settles on its own.
      const issuable = parts.filter((part) => attemptBlocker(processContext, part, at) === null);
      const batch =
        issuable.length > 0
          ? issueWarrants(options.db, { parts: issuable, workerId: options.workerId, signer: options.signer, catalogue: processContext.catalogue, now: at, audit: options.audit })
          : null;
      const started = parts.map((part) =>
        start(processContext, part, batch && issuable.includes(part) ? { now: at, warrant: batch.then((outcomes) => outcomes.get(part.id)) } : undefined),
      );
      return { started, asked: free };
    });
    claimQueue = run.catch(() => {});
    return run.finally(() => (claiming -= 1));
  }

  function start(processContext: Omit<ProcessContext, 'signal'>, part: ClaimedPart, prepared: PreparedAttempt | undefined): Promise<void> {
    const cancel = new AbortController();
    const signal = AbortSignal.any([stopping.signal, cancel.signal]);
    /** Until when this worker's lease runs, as last written. */
    let leaseUntil = part.leaseExpiresAt?.getTime() ?? 0;
    const renewal = setInterval(() => {
      const at = now();
      renewLease(options.db, { workerId: options.workerId, part, now: at, leaseMs: options.leaseMs }).then(
        (held) => {
          if (!held && !cancel.signal.aborted) {
            logger.warn({ partId: part.id }, 'lease lost while the call ran: call cancelled');
            cancel.abort();
            return;
          }
          if (!held) return;
          // Renewed, but after the lease had run out (the process stalled, or the database was
          // away): another replica could have taken the part meanwhile; the fence would have told.
          const lateMs = at.getTime() - leaseUntil;
          if (lateMs > 0) logger.warn({ partId: part.id, lateMs }, 'lease renewed after it had run out');
          leaseUntil = at.getTime() + options.leaseMs;
        },
        // The database is away: keep the call going; if the lease runs out meanwhile, the fence
        // of every later write keeps this attempt from applying anything.
        (err: unknown) => logger.warn({ partId: part.id, err: errorName(err) }, 'could not renew the lease'),
      );
    }, renewMs);
    const done = processPart({ ...processContext, signal }, part, prepared)
      .then(
        () => {},
        (err: unknown) => {
          // Could not even record the outcome (database gone?): the lease runs out and the part is
          // taken again then, by this replica or another.
          logger.error({ partId: part.id, err: errorName(err) }, 'could not settle part; it is resumed when its lease runs out');
        },
      )
      .finally(() => {
        clearInterval(renewal);
        active.delete(part.id);
        // A freed slot claims again only while more may be due: after a claim that came back
        // short, nothing is until a wake(), a scheduled retry or the poll says otherwise.
        if (autoStart && mayBeDue) fill();
      });
    active.set(part.id, done);
    return done;
  }

  /** A wake() that came while a claim ran: that claim may have looked before the new parts existed. */
  let wanted = false;
  /** False once a claim came back with fewer parts than it asked for: nothing more was due then. */
  let mayBeDue = true;
  /** Keeps the slots full: claims until a claim comes back short of the free slots. */
  function fill(): void {
    if (stopping.signal.aborted) return;
    if (claiming > 0) {
      wanted = true;
      return;
    }
    wanted = false;
    claim().then(
      ({ started, asked }) => {
        if (started.length < asked && !wanted) mayBeDue = false;
        if (wanted || (mayBeDue && active.size < concurrency)) fill();
      },
      (err: unknown) => logger.error({ err: errorName(err) }, 'could not claim parts; trying again at the next poll'),
    );
  }

  /** Something may be due now (an approval, a notification, a retry's time, the poll): claim. */
  function due(): void {
    mayBeDue = true;
    fill();
  }

  /**
   * The times of the retries this worker scheduled, earliest first, and one timer for the first:
   * a retry starts at its time, not at the next poll. Bounded; past the bound the poll catches up.
   */
  const retryTimes: number[] = [];
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  /** The retry time a timer that fired before it (by the worker's clock) was armed again for, once. */
  let rearmedFor: number | null = null;
  function retryScheduled(at: Date): void {
    if (!autoStart || stopping.signal.aborted || retryTimes.length >= MAX_RETRY_TIMES) return;
    const t = at.getTime();
    const i = retryTimes.findIndex((other) => other > t);
    retryTimes.splice(i === -1 ? retryTimes.length : i, 0, t);
    if (i === 0 || retryTimes.length === 1) armRetryTimer();
  }
  function armRetryTimer(): void {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    const first = retryTimes[0];
    if (first === undefined || stopping.signal.aborted) return;
    retryTimer = setTimeout(
      () => {
        retryTimer = null;
        const t = now().getTime();
        // A timer counts from the event loop's cached time, which lags the clock by as long as the
        // loop's current turn has run: under load it fires that much early, and a claim then would
        // find the retry not yet due and leave it to the poll. Armed again, once, for the rest.
        if (first > t && rearmedFor !== first) {
          rearmedFor = first;
          armRetryTimer();
          return;
        }
        // The first one's time has come (by the timer); and any others the worker's clock says are due.
        retryTimes.shift();
        while (retryTimes.length > 0 && retryTimes[0]! <= t) retryTimes.shift();
        armRetryTimer();
        due();
      },
      Math.min(2 ** 31 - 1, Math.max(0, first - now().getTime())),
    );
  }

  const poll = autoStart ? setInterval(due, options.pollIntervalMs) : null;
  if (autoStart) fill();

  async function runOnce(): Promise<number> {
    if (stopping.signal.aborted) return 0;
    const { started } = await claim();
    await Promise.all(started);
    return started.length;
  }

  return {
    wake: () => {
      if (autoStart) due();
    },
    runOnce,
    inFlight: () => active.size,
    async drain() {
      for (;;) {
        if ((await runOnce()) > 0) continue;
        if (active.size === 0) return;
        // Parts in flight (the loop's, or more than the free slots): what they settle may make
        // more due (a retry at once), so look again after one of them.
        await Promise.race(active.values());
      }
    },
    async stop() {
      stopping.abort();
      if (poll) clearInterval(poll);
      if (retryTimer) clearTimeout(retryTimer);
      await claimQueue;
      await Promise.allSettled([...active.values()]);
    },
  };
}

/** Retry times one worker keeps a timer for; beyond them the poll is the fallback. */
const MAX_RETRY_TIMES = 1024;

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : typeof err;
}
