import { readFile } from 'node:fs/promises';
import type { JWK } from 'jose';
import { RevocationListError, verifyRevocationList, type RevocationListClaims } from '../revocation-list';

/**
 * The directory authority's revocation list as a department — and the gateway, at submit and
 * approve — holds it: fetched from the directory
 * (an http(s) URL, or a file the directory publishes into), verified with the pinned authority
 * key, kept while no newer one (higher serial) verifies, and fetched again once it is older than
 * `refreshAfterSec`. Fail-closed: while the freshest list held is older than `maxAgeSec`, or none
 * could be had, every request that needs it is refused (`revoked()` throws a RevocationListError `stale`).
 */
export interface RevocationSource {
  /** Key ids revoked; a RevocationListError `stale` when no list fresh enough is held. */
  revoked(): Promise<ReadonlySet<string>>;
}

export interface RevocationSourceOptions {
  /** http(s) URL or file path of the directory's `revocations.jws`. */
  location: string;
  authorityJwk: JWK;
  /** Default 48 hours. */
  maxAgeSec?: number;
  /** Default a quarter of maxAgeSec. */
  refreshAfterSec?: number;
  logger: { warn(details: object, message: string): void };
  fetch?: typeof fetch;
  now?: () => Date;
}

export const DEFAULT_REVOCATIONS_MAX_AGE_SEC = 48 * 3600;

export function createRevocationSource(options: RevocationSourceOptions): RevocationSource {
  const maxAgeSec = options.maxAgeSec ?? DEFAULT_REVOCATIONS_MAX_AGE_SEC;
  const refreshAfterSec = options.refreshAfterSec ?? Math.floor(maxAgeSec / 4);
  const now = options.now ?? (() => new Date());
  const doFetch = options.fetch ?? fetch;
  let held: { claims: RevocationListClaims; kids: Set<string> } | undefined;
  let inflight: Promise<void> | undefined;
  let triedAt = -Infinity;

  async function load(): Promise<void> {
    triedAt = now().getTime();
    try {
      const text = /^https?:\/\//.test(options.location)
        ? await doFetch(options.location, { signal: AbortSignal.timeout(5_000) }).then((r) => {
            if (!r.ok) throw new Error(`HTTP ${r.status}`);
            return r.text();
          })
        : await readFile(options.location, 'utf8');
      const claims = await verifyRevocationList(text.trim(), { authorityJwk: options.authorityJwk });
      if (!held || claims.serial >= held.claims.serial) held = { claims, kids: new Set(claims.revoked.map((r) => r.kid)) };
      else options.logger.warn({ serial: claims.serial, held: held.claims.serial }, 'revocation list older than the one held: ignored');
    } catch (error) {
      const reason = error instanceof RevocationListError ? error.message : (error as Error).message;
      options.logger.warn({ location: options.location, reason }, 'cannot refresh the revocation list');
    }
  }

  const ageSec = () => (held ? Math.floor(now().getTime() / 1000) - held.claims.iat : Infinity);
  return {
    async revoked() {
      // A failed fetch is retried at most every 10 s: forged warrants cannot make it hammer the directory.
      if (ageSec() > refreshAfterSec && now().getTime() - triedAt >= 10_000) {
        inflight ??= load().finally(() => (inflight = undefined));
      }
      if (inflight && ageSec() > maxAgeSec) await inflight;
      if (!held) throw new RevocationListError('stale', `no revocation list could be read from the directory (${options.location})`);
      if (ageSec() > maxAgeSec) throw new RevocationListError('stale', `the freshest revocation list is ${ageSec()} s old, more than the ${maxAgeSec} s allowed`);
      return held.kids;
    },
  };
}
