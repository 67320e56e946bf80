import { RevocationListError } from '../../proto/revocation-list';
import { createRevocationSource as createSharedSource, type RevocationSource, type RevocationSourceOptions } from '../../proto/node/revocation-source';
import { Refusal } from './refusal';

export { DEFAULT_REVOCATIONS_MAX_AGE_SEC, type RevocationSource, type RevocationSourceOptions } from '../../proto/node/revocation-source';

/**
 * The directory's revocation list as a department holds it (proto/node/revocation-source.ts, the
 * same code the gateway uses at submit and approve). Fail-closed: without a fresh list every
 * warrant is refused `revocations_stale`.
 */
export function createRevocationSource(options: RevocationSourceOptions): RevocationSource {
  const shared = createSharedSource(options);
  return {
    async revoked() {
      try {
        return await shared.revoked();
      } catch (error) {
        if (error instanceof RevocationListError) throw new Refusal('revocations_stale', error.message);
        throw error;
      }
    },
  };
}
