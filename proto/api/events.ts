import { z } from 'zod';
import { BEARER, defineEndpoint } from './endpoint';
import { BEARER_ERRORS, errorAnswers } from './errors';
import { InquiryParams, InquiryView, type InquiryStatus } from './inquiries';

/**
 * GET /v1/inquiries/{id}/events: an inquiry's progress as server-sent events (text/event-stream),
 * so a client is told when a decision is taken or a department's part changes instead of asking.
 *
 * Each event is `event: inquiry`, `id: <n>` (1, 2, … within the stream) and one `data:` line: the
 * inquiry as `GET /v1/inquiries/{id}` shows it (InquiryView). The first event is sent at once;
 * the next whenever the inquiry, a decision or a part changes, on whichever replica it changed.
 * The stream ends after the event whose status is final (FINAL_STATUSES), or after an `error`
 * event (the gateway failed; its data is the ErrorEnvelope). Between events a
 * comment line (`: keep-alive`) keeps proxies from closing an idle stream. A client that loses
 * the stream reconnects and gets the current state as its first event: no event needs replaying.
 */

export const EVENT_STREAM = 'text/event-stream';
export const INQUIRY_EVENT = 'inquiry';
/** A failure of the gateway mid-stream: its data is the ErrorEnvelope (code `internal`, the request id); the stream ends. */
export const ERROR_EVENT = 'error';

/** Statuses after which nothing about the inquiry changes any more: the stream ends with them. */
export const FINAL_STATUSES: readonly InquiryStatus[] = ['rejected', 'withdrawn', 'expired', 'completed', 'partially_completed', 'failed'];
export const isFinalStatus = (status: InquiryStatus): boolean => FINAL_STATUSES.includes(status);

/** The data of an `inquiry` event. */
export const InquiryEvent = InquiryView;
export type InquiryEvent = z.infer<typeof InquiryEvent>;

export const eventEndpoints = {
  inquiryEvents: defineEndpoint({
    method: 'get',
    path: '/v1/inquiries/{id}/events',
    operationId: 'inquiryEvents',
    summary: 'Follow an inquiry as it progresses (server-sent events)',
    description:
      'A `text/event-stream` of `inquiry` events, each carrying the inquiry (InquiryView) as `GET /v1/inquiries/{id}` shows it: one at once, then one per change of its decisions or department parts, on any replica. It ends after the event whose status is final (rejected, withdrawn, expired, completed, partially_completed, failed). Authorized exactly like reading the inquiry.',
    tags: ['inquiries'],
    security: BEARER,
    request: { params: InquiryParams },
    responses: {
      200: {
        description: 'the event stream: `event: inquiry`, `id: <n>`, `data: <InquiryView as JSON>`; comment lines keep it alive',
        content: { [EVENT_STREAM]: { schema: z.string().meta({ description: 'text/event-stream; each event’s data is an InquiryView' }) } },
      },
      ...errorAnswers(...BEARER_ERRORS, 400, 404),
    },
  }),
};
