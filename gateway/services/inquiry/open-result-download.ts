import { sql } from 'drizzle-orm';
import { DEPARTMENT_NAME } from '../../../proto/identity';
import type { PartStatus } from '../../db/schema';
import { ServiceError } from '../../errors';
import { createAuditGroupCommit } from '../audit/group-commit';
import type { RequestContext } from '../context';
import { inquiryReadWith, readVisibleInquiryWith } from './find-visible-inquiry';

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

interface PartWithResult {
  id: string;
  department: string;
  status: PartStatus;
  failureReason: string | null;
  /** `small`: the whole ciphertext (base64) of a result of at most `SMALL_RESULT_BYTES`, read with the rest; null for a larger one, which is streamed. */
  result: { warrantId: string; format: string; records: number; bytes: number; sha256: string; small: string | null } | null;
}

/**
 * A result this small (ciphertext bytes) is read whole with its part — every chunk present, or
 * not at all — rather than streamed by a second read: a small answer's few chunks (the header,
 * a frame or two) cost less as one value than as a COPY of their own.
 */
const SMALL_RESULT_BYTES = 64 * 1024;

/** The enclosing inquiry's part for the `department` placeholder (null: no such part, or no valid name) with its stored result's metadata. */
const withPart = inquiryReadWith('qiao_inquiry_result_part', sql<PartWithResult | null>`(
  select json_build_object('id', p.id, 'department', p.department, 'status', p.status, 'failureReason', p.failure_reason,
    'result', case when r.part_id is null then null else json_build_object('warrantId', r.warrant_id, 'format', r.format,
      'records', r.records, 'bytes', r.bytes, 'sha256', r.sha256,
      'small', case when r.bytes <= ${SMALL_RESULT_BYTES} then (select encode(string_agg(c.data, ''::bytea order by c.seq), 'base64')
        from result_chunks c where c.part_id = p.id and c.warrant_id = r.warrant_id
        having count(*) = r.chunks and max(c.seq) = r.chunks - 1) end) end)
  from inquiry_parts p left join results r on r.part_id = p.id
  where p.inquiry_id = "inquiries"."id" and p.department = ${sql.placeholder('department')}::text)`);

/** How long a client refused for want of a download slot is told to wait. */
const DOWNLOAD_RETRY_SECONDS = 5;

/**
 * Opens one department's result for download and records the download. One statement reads the
 * inquiry, which authorizes it, with the part and its result — and, for a small result (at
 * most 64 KiB of ciphertext, as most answers about a person are), the ciphertext itself, held
 * until the entry is committed and then served without a second read. The entry is written when the
 * download starts, committed before the first byte goes out (with the entries of downloads
 * starting at the same time: `ctx.downloadAudit`, group-commit.ts); whether the client read it
 * all is not the gateway's to know.
 */
export async function openResultDownload({
  ctx,
  input,
}: {
  ctx: RequestContext;
  input: { id: string; department: string };
}): Promise<ResultDownload> {
  // A name no department can have (a NUL, say) is never sent: it matches no part.
  const department = DEPARTMENT_NAME.test(input.department) ? input.department : null;
  const { row, resource, extra: part } = await readVisibleInquiryWith(ctx, input.id, withPart, { department });
  const verdict = ctx.policy.authorize(ctx.principal, 'result.download', resource);
  if (!verdict.allowed) throw new ServiceError('permission_denied', verdict.reason);

  if (!part) throw new ServiceError('not_found', 'this inquiry has no part for that department');
  const { result } = part;
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
    await (ctx.downloadAudit ?? createAuditGroupCommit(ctx)).append({
      action: 'result.downloaded',
      actor: { userId: ctx.principal.userId, unitId: ctx.principal.unitId },
      inquiryId: row.id,
      requestId: ctx.requestId,
      details: { department: part.department, warrantId: result.warrantId, records: result.records, bytes: result.bytes, sha256: result.sha256 },
    });
  } catch (error) {
    slot.release();
    throw error;
  }
  // Base64 from PostgreSQL's encode() breaks lines every 76 characters; Buffer's decoder skips them.
  const stored = result.small !== null ? [Buffer.from(result.small, 'base64')] : ctx.results.openResultStream(part.id, result.warrantId);
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
