import { inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../../db/client';
import { inquiries } from '../../db/schema';
import { describeError } from '../../logger';

/**
 * Tells the event streams of this replica that an inquiry changed, whichever replica changed it.
 * Told by PostgreSQL: the triggers of migration `inquiry-changes-notify` send the inquiry's id on
 * `qiao_inquiry_changed` after every commit that changes what its view shows (decisions, parts'
 * status, attempts and failures), and `server.ts` hands each one to `notified` over the replica's
 * one listening connection; PGlite delivers the same notifications in process. A changed inquiry's
 * listeners are called, and they then read the inquiry itself.
 *
 * Polling is the fallback, every `intervalMs` and only while a stream is open: each watched
 * inquiry's version is its own `updated_at` with its parts' latest `updated_at` and count, which
 * every decision and every part's step moves. A first sighting counts as a change, so a stream
 * never misses what happened while it opened or while the listener was reconnecting.
 */
export interface InquiryWatch {
  /** Calls `onChange` whenever the inquiry may have changed; returns the unsubscribe. */
  subscribe(inquiryId: string, onChange: () => void): () => void;
  /** A notification: this inquiry changed, or (no id: the listener reconnected) any may have. */
  notified(inquiryId?: string): void;
}

/** The channel of migration `inquiry-changes-notify`; the payload is the inquiry's id. */
export const INQUIRY_CHANGED_CHANNEL = 'qiao_inquiry_changed';

export function createInquiryWatch(deps: { db: Db; intervalMs: number; logger?: Logger }): InquiryWatch {
  const listeners = new Map<string, Set<() => void>>();
  const versions = new Map<string, string>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let polling = false;

  const notify = (id: string) => {
    for (const listener of listeners.get(id) ?? []) listener();
  };

  async function poll(): Promise<void> {
    if (polling || listeners.size === 0) return;
    polling = true;
    try {
      const ids = [...listeners.keys()];
      const rows = await deps.db
        .select({
          id: inquiries.id,
          // Spelled out: drizzle leaves column names unqualified in a one-table select, which would
          // bind the subquery's "id" to the part's own.
          version: sql<string>`"inquiries"."updated_at"::text || '|' || (select coalesce(max(p.updated_at)::text, '') || '|' || count(*) from inquiry_parts p where p.inquiry_id = "inquiries"."id")`,
        })
        .from(inquiries)
        .where(inArray(inquiries.id, ids));
      for (const { id, version } of rows) {
        if (versions.get(id) === version) continue;
        versions.set(id, version);
        notify(id);
      }
    } catch (err) {
      // The next poll tries again; a stream only waits a little longer.
      deps.logger?.warn({ failure: describeError(err) }, 'could not poll inquiry changes for event streams');
    } finally {
      polling = false;
    }
  }

  return {
    subscribe(inquiryId, onChange) {
      let set = listeners.get(inquiryId);
      if (!set) listeners.set(inquiryId, (set = new Set()));
      set.add(onChange);
      if (!timer) {
        timer = setInterval(() => void poll(), deps.intervalMs);
        timer.unref();
      }
      return () => {
        set.delete(onChange);
        if (set.size === 0) {
          listeners.delete(inquiryId);
          versions.delete(inquiryId);
        }
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    notified(inquiryId) {
      if (inquiryId !== undefined) return notify(inquiryId);
      for (const id of listeners.keys()) notify(id);
    },
  };
}
