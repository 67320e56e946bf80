import { createHash } from 'node:crypto';
import type { JWK } from 'jose';
import type { Logger } from 'pino';
import type { DepartmentHandlers } from '../../proto/grpc/department';
import type { WarrantClaims } from '../../proto/warrant';
import { approvalRulesDigest, type ApprovalRules } from './approval-rules';
import { checkClientIdentity, checkEvidence, checkNotReplayed, checkRecipientKey, checkScope, checkWarrant } from './checks';
import type { RevocationSource } from './revocations';
import type { DataSource } from './data-source';
import type { AdapterMetrics } from './metrics';
import { projectedBatches } from './project';
import { Refusal } from './refusal';
import { createRefusalRecorder, peerAddress, type RefusalRecorder } from './refusal-record';
import type { ServedLog } from './served-log';
import type { ResultEncryptor } from '../../proto/result-envelope';
import { answerEncryptor, CallCancelled, streamAnswer } from './stream';
import type { WarrantKeySource } from './warrant-keys';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { extractTraceContext } from '../../proto/grpc/trace-context';
import { inSpan } from '../../proto/node/tracing';
import { inCallScope, setScopeWarrant, tracer } from './telemetry';

export interface HandlerDeps {
  department: string;
  displayName: string;
  /** What Describe reports as this adapter's version. */
  version?: string;
  source: DataSource;
  warrantKeys: WarrantKeySource;
  /** The directory authority's public key: recipient keys must be certified by it. */
  directoryAuthorityKey: JWK;
  /** The directory authority's revocation list of signing keys, kept fresh. */
  revocations: RevocationSource;
  /** This department's own minimum approvals (its rule file). */
  approvalRules: ApprovalRules;
  /** This department's private receipt key. */
  receiptKey: JWK;
  servedLog: ServedLog;
  /** How refused calls reach the served log; default: a recorder on `servedLog` with one-minute windows. */
  refusals?: RefusalRecorder;
  logger: Logger;
  /** Counts every Execute call by outcome and refusal code (metrics.ts). */
  metrics?: AdapterMetrics;
}

/**
 * Describe and Execute. Every check runs before the data source is touched, and a refusal is a
 * status with no frame before it: a caller never gets half an answer. The served log gets
 * `refused`, or `accepted` (flushed) before the lookup and then `served` or `failed`.
 */
export function createHandlers(deps: HandlerDeps): DepartmentHandlers {
  const { department, source, logger, servedLog } = deps;
  const refusals = deps.refusals ?? createRefusalRecorder(servedLog);
  /** Warrant ids taken by a call of this process (the served log has them once `accepted` is written). */
  const claimed = new Set<string>();
  /** Named in every receipt, so that evidence of the answer shows which rules were applied (proto/approval-rules.ts). */
  const rulesDigest = approvalRulesDigest(deps.approvalRules);

  /** Log a refusal (department and reason, never subjects) and turn it into a gRPC status. */
  function refuse(error: unknown, jti?: string) {
    if (error instanceof Refusal) {
      const log = { department, reason: error.code, detail: error.detail, ...(jti ? { jti } : {}) };
      if (error.code === 'source_failed') {
        // A source's own error message may quote the subject it choked on: the message goes to
        // debug only, the error log keeps the type.
        logger.error({ ...log, error: errorName(error.cause) }, error.message);
        logger.debug({ department, err: error.cause }, 'data source error');
      } else logger.warn(log, `refused: ${error.message}`);
      return error.toServiceError();
    }
    logger.error({ department, reason: 'internal', error: errorName(error), ...(jti ? { jti } : {}) }, 'execute failed');
    logger.debug({ department, err: error }, 'execute error');
    return new Refusal('source_failed', 'internal error').toServiceError();
  }

  return {
    describe(call, callback) {
      try {
        checkClientIdentity(call.getAuthContext().sslPeerCertificate);
      } catch (error) {
        return callback(refuse(error));
      }
      callback(null, {
        department,
        displayName: deps.displayName,
        version: deps.version ?? '',
        categories: Object.entries(source.categories).map(([name, fields]) => ({ name, fields: [...fields] })),
      });
    },

    execute(call) {
      const warrant = call.request.warrant;
      const warrantSha256 = createHash('sha256').update(warrant ?? '').digest('hex');
      let claims: WarrantClaims | undefined;
      let encryptor: Promise<ResultEncryptor> | undefined;
      let accepted = false;
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      // The call's span continues the gateway's trace (traceparent in the metadata); the call's
      // log lines carry its trace id and, once the signature checked out, the warrant's jti.
      const parent = extractTraceContext(call.metadata);
      const span = tracer.startSpan(
        'qiao.department.v1.Department/Execute',
        { kind: SpanKind.SERVER, attributes: { 'rpc.system': 'grpc', 'rpc.service': 'qiao.department.v1.Department', 'rpc.method': 'Execute', 'qiao.department': department } },
        parent,
      );
      const serve = async () => {
        const checked = await inSpan(tracer, 'warrant.check', {}, async (checking) => {
          checkClientIdentity(call.getAuthContext().sslPeerCertificate);
          // Kept outside as soon as the signature holds: a refusal after it names the warrant.
          const verified = (claims = await checkWarrant(warrant, { department, keys: deps.warrantKeys }));
          checking.setAttribute('qiao.warrant_jti', verified.jti);
          setScopeWarrant(verified.jti);
          span.setAttributes({ 'qiao.warrant_jti': verified.jti, 'qiao.inquiry_id': verified.inquiry_id });
          // The answer's key wrap needs only the recipient key: it is made while the rest is
          // checked (nothing is looked up or sent before every check holds, and a refused
          // warrant's wrap is dropped unused). The two signature checks run side by side; a
          // warrant that fails several is refused for the first in this order, as one at a time.
          encryptor = answerEncryptor(verified, department);
          encryptor.catch(() => {});
          const [recipient, evidence] = await Promise.allSettled([
            checkRecipientKey(verified, deps.directoryAuthorityKey),
            checkEvidence(verified, { authorityJwk: deps.directoryAuthorityKey, revocations: deps.revocations, rules: deps.approvalRules }),
          ]);
          if (recipient.status === 'rejected') throw recipient.reason;
          checkScope(verified, source.categories);
          if (evidence.status === 'rejected') throw evidence.reason;
          return verified;
        });
        const { jti, inquiry_id: inquiryId } = checked;
        // Checked and claimed in one synchronous step: two calls with one jti cannot both pass
        // while the first one's `accepted` line is still being written.
        checkNotReplayed(checked, { wasUsed: (id) => claimed.has(id) || servedLog.wasUsed(id) });
        claimed.add(jti);
        await servedLog.append({ outcome: 'accepted', jti, warrantSha256, inquiryId });
        accepted = true;
        const served = await inSpan(tracer, 'answer.serve', {}, async (serving) => {
          const result = await streamAnswer(call, {
            claims: checked,
            encryptor: encryptor!,
            department,
            batches: projectedBatches(checked, source),
            receiptKey: deps.receiptKey,
            approvalRules: rulesDigest,
          });
          serving.setAttributes({ 'qiao.records': result.records, 'qiao.bytes': result.bytes });
          return result;
        });
        await servedLog.append({
          outcome: 'served', jti, warrantSha256, inquiryId,
          records: served.records, bytes: served.bytes, ciphertextSha256: served.sha256,
        });
        logger.info({ department, jti, records: served.records, bytes: served.bytes }, 'warrant served');
        deps.metrics?.call('served', null, seconds());
        deps.metrics?.served(served.records, served.bytes);
      };
      const settle = async (error: unknown) => {
        const jti = claims?.jti;
        const reason = error instanceof Refusal ? error.code : error instanceof CallCancelled ? 'cancelled' : 'internal';
        // Refused before the lookup; failed once accepted (the source, or the stream, broke).
        const outcome = error instanceof CallCancelled ? 'cancelled' : accepted ? 'failed' : 'refused';
        deps.metrics?.call(outcome, outcome === 'cancelled' ? null : error instanceof Refusal ? error.code : 'source_failed', seconds());
        const written = accepted
          ? servedLog.append({ outcome: 'failed', warrantSha256, reason, ...(jti ? { jti, inquiryId: claims!.inquiry_id } : {}) })
          : refusals.record({ warrantSha256, reason, peer: peerAddress(call.getPeer()), ...(jti ? { jti, inquiryId: claims!.inquiry_id } : {}) });
        await written.catch((e: unknown) => logger.error({ department, error: errorName(e) }, 'cannot write the served-warrant log'));
        span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
        if (error instanceof Refusal) span.setAttribute('qiao.refusal', error.code);
        if (error instanceof CallCancelled) {
          logger.warn({ department, jti }, 'caller cancelled mid-answer');
          return;
        }
        call.emit('error', refuse(error, jti));
      };
      void context.with(trace.setSpan(parent, span), () => inCallScope(() => serve().catch(settle))).finally(() => span.end());
    },
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
