import type { JWK } from 'jose';
import type { Logger } from 'pino';
import type { DepartmentHandlers, ResultHeader } from '../../proto/department';
import { encryptResult, RESULT_FORMAT } from '../../proto/result-envelope';
import { checkClientIdentity, checkScope, checkWarrant } from './checks';
import type { DataSource } from './data-source';
import { collectRecords } from './project';
import { Refusal } from './refusal';
import { streamResult } from './stream';

export interface HandlerDeps {
  department: string;
  displayName: string;
  source: DataSource;
  warrantKeys: JWK[];
  logger: Logger;
}

/**
 * Describe and Execute. Every check runs before the data source is touched, and a refusal is a
 * status with no frame before it: a caller never gets half an answer.
 */
export function createHandlers(deps: HandlerDeps): DepartmentHandlers {
  const { department, source, logger } = deps;

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
        categories: Object.entries(source.categories).map(([name, fields]) => ({ name, fields: [...fields] })),
      });
    },

    execute(call) {
      let jti: string | undefined;
      void (async () => {
        checkClientIdentity(call.getAuthContext().sslPeerCertificate);
        const claims = await checkWarrant(call.request.warrant, { department, keys: deps.warrantKeys });
        jti = claims.jti;
        checkScope(claims, source.categories);
        const records = await collectRecords(claims, source);
        const ciphertext = await encryptResult(records, claims.recipient.key);
        const header: ResultHeader = { format: RESULT_FORMAT, warrantId: claims.jti, department };
        await streamResult(call, header, ciphertext, records.length);
        logger.info({ department, jti, records: records.length, bytes: ciphertext.length }, 'warrant served');
      })().catch((error: unknown) => call.emit('error', refuse(error, jti)));
    },
  };
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
