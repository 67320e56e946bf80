import { useEffect } from 'react';
import { isFinalStatus } from '../../../proto/api/events';
import type { InquiryView } from '../../../proto/api/inquiries';
import type { ApiClient } from '../../core/api-client';

/**
 * Live status: an inquiry followed on its event stream (GET /v1/inquiries/{id}/events) with
 * client/core's followInquiry — fetch and a streaming reader, since the browser's EventSource
 * cannot send the Authorization header. Polling is only the fallback: when the stream cannot be
 * opened or breaks off before a final status, the inquiry is read once after RETRY_MS and the
 * stream opened again (its first event is the current state, so nothing is missed).
 */
const RETRY_MS = 5000;

/**
 * At most this many streams per page. Over HTTP/1.1 the browser opens six connections per
 * origin and each stream holds one: four leave two for the page's other requests.
 */
export const MAX_STREAMS = 4;

export function useFollowInquiry(api: ApiClient, id: string, active: boolean, onView: (view: InquiryView) => void): void {
  useEffect(() => {
    if (!active) return;
    const abort = new AbortController();
    const { signal } = abort;
    const pause = () => new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, RETRY_MS);
      signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
    });
    void (async () => {
      while (!signal.aborted) {
        try {
          for await (const view of api.followInquiry(id, { signal })) {
            if (signal.aborted) return;
            onView(view);
            if (isFinalStatus(view.status)) return;
          }
        } catch {
          // Broken off or refused: fall back to one read, then try the stream again.
        }
        await pause();
        if (signal.aborted) return;
        try {
          const view = await api.getInquiry(id);
          if (signal.aborted) return;
          onView(view);
          if (isFinalStatus(view.status)) return;
        } catch {
          // The next round tries again.
        }
      }
    })();
    return () => abort.abort();
    // onView is the caller's state setter; following again when it changes identity would reopen the stream for nothing.
  }, [api, id, active]);
}
