import { inArray, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Db } from '../../db/client';
import { inquiries } from '../../db/schema';
import { describeError } from '../../logger';

/**
 * Tells the event streams of this replica that an inquiry changed, whichever replica changed it.
 * One query per interval covers every inquiry watched here, and only while one is watched: each
 * inquiry's version is its own `updated_at` with its parts' latest `updated_at` and count, which
 * every decision and every part's step moves (decide, withdraw, expire; claim, retry, answer,
 * failure). A changed version calls the inquiry's listeners, which then read the inquiry itself.
 * A first sighting counts as a change, so a stream never misses what happened while it opened.
 *
 * Polling inside the server, not LISTEN/NOTIFY: it needs no trigger and no dedicated connection,
 * and a stream learns of a change within one interval on PGlite and PostgreSQL alike.
 */
export interface InquiryWatch {
  /** Calls `onChange` whenever the inquiry may have changed; returns the unsubscribe. */
  subscribe(inquiryId: string, onChange: () => void): () => void;
  /** A change made by this replica: its listeners are called now, not at the next poll. */
  changed(inquiryId: string): void;
}

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
    changed: notify,
  };
}
