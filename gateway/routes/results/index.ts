import { stream } from 'hono/streaming';
import { endpoints } from '../../../proto/api';
import { listInquiryResults } from '../../services/inquiry/list-results';
import { openResultDownload } from '../../services/inquiry/open-result-download';
import { describeError } from '../../logger';
import { createRouter, requestContext, route } from '../env';

/** /v1/inquiries/{id}/results: what each department answered, and each answer's ciphertext. */
export function resultRoutes() {
  return createRouter()
    .openapi(route(endpoints.listResults), async (c) =>
      c.json(await listInquiryResults({ ctx: requestContext(c), input: c.req.valid('param') }), 200),
    )
    .openapi(route(endpoints.downloadResult), async (c) => {
      const ctx = requestContext(c);
      const download = await openResultDownload({ ctx, input: c.req.valid('param') });
      c.header('content-type', 'application/octet-stream');
      // The declared length is what makes a transfer cut short by a failing read visible to the
      // client: the stream helper ends the body normally even when the source throws.
      c.header('content-length', String(download.bytes));
      c.header('content-disposition', `attachment; filename="${download.inquiryId}-${download.department}.qiao"`);
      c.header('x-qiao-format', download.format);
      c.header('x-qiao-sha256', download.sha256);
      c.header('x-qiao-records', String(download.records));
      c.header('x-qiao-warrant-id', download.warrantId);
      return stream(
        c,
        async (out) => {
          let sent = 0;
          try {
            for await (const chunk of download.body) {
              if (out.aborted) break; // the client went away: stop reading the database
              await out.write(chunk);
              sent += chunk.byteLength;
            }
          } finally {
            download.release(); // the download's slot, even if the body was never started
          }
          if (!out.aborted && sent !== download.bytes) {
            ctx.logger.error({ requestId: ctx.requestId, sent, expected: download.bytes }, 'result length differs from its record');
          }
        },
        async (err, out) => {
          download.release();
          ctx.logger.error({ requestId: ctx.requestId, failure: describeError(err) }, 'result stream failed');
          out.abort();
        },
      );
    });
}
