import { and, eq } from 'drizzle-orm';
import { DEPARTMENT_NAME } from '../../../proto/identity';
import { inquiryParts, results } from '../../db/schema';
import { ServiceError } from '../../errors';
import { appendAudit } from '../audit/append-audit';
import type { RequestContext } from '../context';
import { findVisibleInquiry } from './find-visible-inquiry';

export interface ResultDownload {
  inquiryId: string;
  department: string;
  warrantId: string;
  format: string;
  records: number;
  bytes: number;
  sha256: string;
  /** The ciphertext, chunk by chunk, read as it is consumed. */
  body: AsyncIterable<Uint8Array>;
  /** Frees this download's slot: call once the transfer ends, however it ends (it is freed too when `body` is read to its end or fails). */
  release(): void;
}

/** How long a client refused for want of a download slot is told to wait. */
const DOWNLOAD_RETRY_SECONDS = 5;

/**
 * Opens one department's result for download and records the download. The entry is written
 * when the download starts: whether the client read it all is not the gateway's to know.
 */
export async function openResultDownload({
  ctx,
  input,
}: {
  ctx: RequestContext;
  input: { id: string; department: string };
}): Promise<ResultDownload> {
  const { row, resource } = await findVisibleInquiry(ctx, ctx.db, input.id);
  const verdict = ctx.policy.authorize(ctx.principal, 'result.download', resource);
  if (!verdict.allowed) throw new ServiceError('permission_denied', verdict.reason);

  const missing = () => new ServiceError('not_found', 'this inquiry has no part for that department');
  if (!DEPARTMENT_NAME.test(input.department)) throw missing();
  const [found] = await ctx.db
    .select({ part: inquiryParts, result: results })
    .from(inquiryParts)
    .leftJoin(results, eq(results.partId, inquiryParts.id))
    .where(and(eq(inquiryParts.inquiryId, row.id), eq(inquiryParts.department, input.department)));
  if (!found) throw missing();
  const { part, result } = found;
  if (part.status !== 'succeeded' || !result) {
    const why = part.status === 'failed' ? `the part failed${part.failureReason ? `: ${part.failureReason}` : ''}` : `the part is ${part.status}`;
    throw new ServiceError('failed_precondition', `no result from ${part.department} yet: ${why}`);
  }

  const slot = ctx.results.downloads ? await ctx.results.downloads.take() : { release() {} };
  if (!slot) {
    throw new ServiceError(
      'resource_exhausted',
      `this gateway is serving ${ctx.results.downloads!.max} downloads already, as many as it serves at once (QIAO_MAX_DOWNLOADS), and none freed while this one waited; try again in a few seconds`,
      { retryAt: new Date(ctx.clock().getTime() + DOWNLOAD_RETRY_SECONDS * 1000) },
    );
  }
  try {
    await ctx.db.transaction((tx) =>
      appendAudit(tx, {
      action: 'result.downloaded',
      actor: { userId: ctx.principal.userId, unitId: ctx.principal.unitId },
      inquiryId: row.id,
      requestId: ctx.requestId,
      details: { department: part.department, warrantId: result.warrantId, records: result.records, bytes: result.bytes, sha256: result.sha256 },
    }, ctx.audit),
    );
  } catch (error) {
    slot.release();
    throw error;
  }
  const stored = ctx.results.openResultStream(part.id, result.warrantId);
  return {
    inquiryId: row.id,
    department: part.department,
    warrantId: result.warrantId,
    format: result.format,
    records: result.records,
    bytes: result.bytes,
    sha256: result.sha256,
    body: (async function* () {
      try {
        yield* stored;
      } finally {
        slot.release();
      }
    })(),
    release: () => slot.release(),
  };
}
