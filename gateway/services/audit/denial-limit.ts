import type { Db } from '../../db/client';
import type { Logger } from 'pino';
import { describeError } from '../../logger';
import { appendAuditAlone, type AuditActor, type AuditEntry, type AuditWriter } from './append-audit';

/**
 * Keeps refused requests on the record without letting them grow it without bound: per user and
 * window (a minute from the window's first refusal), the first `perWindow` refusals are audited
 * one by one; the rest answer 429 (or 404 where the inquiry must stay invisible) and are counted,
 * and the count is written as one `authorization.denied` entry (`details.repeated`) once the
 * window has ended. Counting is per replica, in memory: a replica that dies loses at most the
 * count of its open windows — the refusals themselves changed nothing.
 */

export const DENIAL_WINDOW_MS = 60_000;

interface Window {
  actor: AuditActor;
  start: number;
  audited: number;
  repeated: number;
  attempted: Set<string>;
}

export type DenialVerdict = { kind: 'audit' } | { kind: 'limited'; until: Date };

export interface DenialLimiter {
  /** Counts one refusal of `actor` for `attempted` at `now`: audit it, or it is past the rate until `until`. */
  admit(actor: AuditActor, attempted: string, now: Date): DenialVerdict;
  /** The counting entries of windows ended by `now`, or of every window with `all` (removed from memory). */
  takeEnded(now: Date, options?: { all?: boolean }): AuditEntry[];
  /** Puts entries `takeEnded` gave back, when they could not be written. */
  restore(entries: AuditEntry[]): void;
}

export function createDenialLimiter(perWindow: number): DenialLimiter {
  const open = new Map<string, Window>();
  let ended: AuditEntry[] = [];

  const close = (w: Window) => {
    if (w.repeated > 0) ended.push(countingEntry(w));
  };

  return {
    admit(actor, attempted, now) {
      const t = now.getTime();
      let w = open.get(actor.userId);
      if (w && t >= w.start + DENIAL_WINDOW_MS) {
        close(w);
        w = undefined;
      }
      if (!w) {
        w = { actor, start: t, audited: 0, repeated: 0, attempted: new Set() };
        open.set(actor.userId, w);
      }
      if (w.audited < perWindow) {
        w.audited++;
        return { kind: 'audit' };
      }
      w.repeated++;
      w.attempted.add(attempted);
      return { kind: 'limited', until: new Date(w.start + DENIAL_WINDOW_MS) };
    },
    takeEnded(now, options = {}) {
      const t = now.getTime();
      for (const [userId, w] of open) {
        if (!options.all && t < w.start + DENIAL_WINDOW_MS) continue;
        close(w);
        open.delete(userId);
      }
      const out = ended;
      ended = [];
      return out;
    },
    restore(entries) {
      ended = [...entries, ...ended];
    },
  };
}

function countingEntry(w: Window): AuditEntry {
  return {
    action: 'authorization.denied',
    actor: w.actor,
    details: {
      attempted: [...w.attempted].sort().join(','),
      reason: `refused more than the ${w.audited} requests a minute audited one by one; answered 429 and counted here`,
      policyIds: [],
      repeated: { count: w.repeated, from: new Date(w.start).toISOString(), to: new Date(w.start + DENIAL_WINDOW_MS).toISOString() },
    },
  };
}

/** Writes the counting entries of ended windows; on failure they stay for the next try. */
export async function flushDenialCounts(
  deps: { db: Db; limiter: DenialLimiter; audit: AuditWriter; logger?: Logger },
  options: { now?: Date; all?: boolean } = {},
): Promise<number> {
  const now = options.now ?? new Date();
  const entries = deps.limiter.takeEnded(now, { all: options.all ?? false });
  if (entries.length === 0) return 0;
  try {
    await appendAuditAlone(deps.db, entries, deps.audit, now);
    return entries.length;
  } catch (err) {
    deps.limiter.restore(entries);
    deps.logger?.warn({ failure: describeError(err), entries: entries.length }, 'could not write the counts of refused requests; trying again later');
    return 0;
  }
}

/** Flushes every `intervalMs` (and once more on stop). */
export function startDenialFlush(deps: { db: Db; limiter: DenialLimiter; audit: AuditWriter; logger: Logger; intervalMs?: number }): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => flushDenialCounts(deps));
  }, deps.intervalMs ?? 10_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      // Windows still open are closed early: their counts are written rather than lost.
      await flushDenialCounts(deps, { all: true });
    },
  };
}
