import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { loadCatalogue, type Catalogue } from '../catalogue';
import type { Db } from '../db/client';
import type { DepartmentDirectory } from '../departments/client';
import type { AuditWriter } from '../services/audit/append-audit';
import type { WarrantSigner } from '../warrants/issue-warrant';
import { claimDueParts } from './claim';
import { processPart, type ProcessContext } from './process';

export const DEFAULT_CATALOGUE_FILE = fileURLToPath(new URL('../../policies/categories.json', import.meta.url));

export interface FanoutWorkerOptions {
  db: Db;
  directory: DepartmentDirectory;
  signer: WarrantSigner;
  /** Default: policies/categories.json of this repository, read at the first pass. */
  catalogue?: Catalogue;
  logger: Logger;
  /** Unique per process (e.g. hostname + pid + random): the lease owner. */
  workerId: string;
  /** How often to look for due parts when nobody calls wake(). */
  pollIntervalMs: number;
  /** How long a claimed part stays this worker's; must exceed callDeadlineMs. */
  leaseMs: number;
  callDeadlineMs: number;
  maxAttempts: number;
  now?: () => Date;
  /** Parts claimed and run concurrently per pass; default 8. */
  batchSize?: number;
  /** Backoff of retries: retryBaseMs × 2^(attempt−1), at most retryMaxMs; defaults 1 s and 60 s. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Largest answer stored for one part; default 1 GiB. */
  maxAnswerBytes?: number;
  /** false: no polling loop, passes run only through runOnce() (tests). Default true. */
  autoStart?: boolean;
  /** The gateway's audit writer (its commitment key), the same the HTTP services use. */
  audit: AuditWriter;
}

export interface FanoutWorker {
  /** Look for due parts now (after an approval created some). */
  wake(): void;
  /** One pass: claim due parts, run them all to an outcome; resolves to the number claimed. */
  runOnce(): Promise<number>;
  /**
   * Runs passes until nothing is due: resolves once a pass finds no due part and no pass of this
   * worker (the polling loop's included) is still running parts. A part whose next attempt is
   * scheduled later is not due, and is left to its time.
   */
  drain(): Promise<void>;
  /** Stops polling, cancels calls in flight (their parts are handed back), waits for them. */
  stop(): Promise<void>;
}

export function startFanoutWorker(options: FanoutWorkerOptions): FanoutWorker {
  if (options.leaseMs <= options.callDeadlineMs) {
    throw new Error(`leaseMs (${options.leaseMs}) must exceed callDeadlineMs (${options.callDeadlineMs}): a call must end before its lease`);
  }
  if (options.maxAttempts < 1) throw new Error('maxAttempts must be at least 1');
  const now = options.now ?? (() => new Date());
  const batchSize = options.batchSize ?? 8;
  const logger = options.logger.child({ component: 'fanout', workerId: options.workerId });
  const stopping = new AbortController();
  let catalogue: Promise<Catalogue> | null = options.catalogue ? Promise.resolve(options.catalogue) : null;
  const ctx: Omit<ProcessContext, 'catalogue'> = {
    db: options.db,
    directory: options.directory,
    signer: options.signer,
    logger,
    workerId: options.workerId,
    callDeadlineMs: options.callDeadlineMs,
    maxAttempts: options.maxAttempts,
    retryBaseMs: options.retryBaseMs ?? 1000,
    retryMaxMs: options.retryMaxMs ?? 60_000,
    maxAnswerBytes: options.maxAnswerBytes ?? 1024 ** 3,
    now,
    signal: stopping.signal,
    audit: options.audit,
  };
  const inFlight = new Set<Promise<number>>();

  async function pass(): Promise<number> {
    catalogue ??= loadCatalogue(DEFAULT_CATALOGUE_FILE).catch((err: unknown) => {
      catalogue = null; // read it again next pass
      throw err;
    });
    const processContext: ProcessContext = { ...ctx, catalogue: await catalogue };
    const parts = await claimDueParts(options.db, { workerId: options.workerId, now: now(), leaseMs: options.leaseMs, limit: batchSize });
    await Promise.all(
      parts.map((part) =>
        processPart(processContext, part).catch((err: unknown) => {
          // Could not even record the outcome (database gone?): the lease runs out and the part is retried.
          logger.error({ partId: part.id, err: err instanceof Error ? err.name : typeof err }, 'could not settle part');
        }),
      ),
    );
    return parts.length;
  }

  function runOnce(): Promise<number> {
    if (stopping.signal.aborted) return Promise.resolve(0);
    const run = pass();
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run)).catch(() => {});
    return run;
  }

  let wakeUp: (() => void) | null = null;
  let woken = false;
  function wake(): void {
    woken = true;
    wakeUp?.();
  }
  function sleep(ms: number): Promise<void> {
    if (woken) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = null;
        resolve();
      }
      wakeUp = done;
    });
  }

  async function loop(): Promise<void> {
    while (!stopping.signal.aborted) {
      woken = false;
      let claimed = 0;
      try {
        claimed = await runOnce();
      } catch (err) {
        logger.error({ err: err instanceof Error ? err.name : typeof err }, 'fan-out pass failed');
      }
      // A full batch means more may be waiting: go again at once.
      if (claimed < batchSize && !stopping.signal.aborted) await sleep(options.pollIntervalMs);
    }
  }
  const looping = options.autoStart === false ? Promise.resolve() : loop();

  return {
    wake: () => {
      if (!stopping.signal.aborted) wake();
    },
    runOnce,
    async drain() {
      for (;;) {
        if ((await runOnce()) > 0) continue;
        if (inFlight.size === 0) return;
        // Another pass (the polling loop's) holds parts under lease: not due to us, but not done
        // either; what it settles may make more due (a retry at once), so look again after it.
        await Promise.allSettled([...inFlight]);
      }
    },
    async stop() {
      stopping.abort();
      wake();
      await looping;
      await Promise.allSettled([...inFlight]);
    },
  };
}
