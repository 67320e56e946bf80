import { setTimeout as sleep } from 'node:timers/promises';
import { isFinalStatus, type InquiryView } from '../../../proto/api';
import { describeError } from '../../logger';
import { ServiceError } from '../../errors';
import type { RequestContext } from '../context';
import { inquiryNotFound, isInquiryId, readVisibleInquiry } from './find-visible-inquiry';

/**
 * An inquiry's views as it progresses, for GET /v1/inquiries/{id}/events: the current one at
 * once, then one per change (services/inquiry/watch.ts), until one whose status is final or
 * `signal` aborts. Authorized like reading it — here, before anything is streamed, so a refusal
 * is the ordinary 404 — and again at every change, so a reader who loses access stops hearing.
 */
export async function followInquiry({ ctx, input, signal }: { ctx: RequestContext; input: { id: string }; signal: AbortSignal }): Promise<AsyncIterable<InquiryView>> {
  // Listening before the first read, so a change committed while it runs is not missed; that
  // read both authorizes the stream and is its first event. Not heard from again once `signal`
  // aborts, even if the stream is never read.
  if (!isInquiryId(input.id)) throw inquiryNotFound();
  const changes = listen(ctx, input.id, signal);
  try {
    const first = await readVisibleInquiry(ctx, input.id);
    return follow(ctx, first.row.id, signal, first.view, changes);
  } catch (err) {
    changes.stop();
    throw err;
  }
}

/** Changes of one inquiry, heard from `subscribe` until `stop` (once, whichever of abort or the stream's end comes first). */
interface Changes {
  changed: boolean;
  wake?: () => void;
  stop(): void;
}

function listen(ctx: RequestContext, id: string, signal: AbortSignal): Changes {
  const onAbort = () => changes.wake?.();
  let unsubscribe: (() => void) | undefined = ctx.watch.subscribe(id, () => {
    changes.changed = true;
    changes.wake?.();
  });
  const changes: Changes = {
    changed: false,
    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      signal.removeEventListener('abort', onAbort);
      signal.removeEventListener('abort', stopOnAbort);
    },
  };
  const stopOnAbort = () => changes.stop();
  signal.addEventListener('abort', onAbort);
  signal.addEventListener('abort', stopOnAbort);
  return changes;
}

/** setTimeout's longest delay (about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * A read that fails (the database away for a moment, the pool busy past its wait) is tried again
 * after 1, 2, … s, so a stream rides out a blip as the rest of the gateway does; past this many
 * failures in a row the stream ends with its error event and the client reconnects.
 */
export const FOLLOW_READ_RETRIES = 5;
const FOLLOW_RETRY_MS = 1_000;

async function* follow(ctx: RequestContext, id: string, signal: AbortSignal, first: InquiryView, changes: Changes): AsyncGenerator<InquiryView> {
  let last = '';
  let failures = 0;
  let expiry: ReturnType<typeof setTimeout> | undefined;
  let pending: InquiryView | undefined = first;
  try {
    while (!signal.aborted) {
      if (pending || changes.changed) {
        let view = pending;
        pending = undefined;
        if (!view) {
          changes.changed = false;
          try {
            const found = await readVisibleInquiry(ctx, id).catch((err: unknown) => {
              if (err instanceof ServiceError && err.code === 'not_found') return null; // no longer visible: the stream ends
              throw err;
            });
            if (!found) return;
            view = found.view;
            failures = 0;
          } catch (err) {
            if (err instanceof ServiceError || ++failures > FOLLOW_READ_RETRIES) throw err;
            ctx.logger.warn({ requestId: ctx.requestId, inquiryId: id, failure: describeError(err), attempt: failures }, 'event stream could not read the inquiry; trying again');
            changes.changed = true;
            await sleep(FOLLOW_RETRY_MS * failures, undefined, { signal }).catch(() => {});
            continue;
          }
        }
        const text = JSON.stringify(view);
        if (text !== last) {
          last = text;
          yield view;
        }
        if (isFinalStatus(view.status)) return;
        // A pending inquiry expires without any row changing: wake when it does.
        clearTimeout(expiry);
        if (view.expiresAt && view.status === 'pending_approval') {
          const ms = Date.parse(view.expiresAt) - ctx.clock().getTime() + 10;
          expiry = setTimeout(() => {
            changes.changed = true;
            changes.wake?.();
          }, Math.min(Math.max(0, ms), MAX_TIMER_MS));
          expiry.unref();
        }
      }
      if (!changes.changed && !signal.aborted) await new Promise<void>((resolve) => (changes.wake = resolve));
      changes.wake = undefined;
    }
  } finally {
    clearTimeout(expiry);
    changes.stop();
  }
}
