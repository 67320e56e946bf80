import type { JWK } from 'jose';
import type { Logger } from 'pino';
import { z } from 'zod';

/**
 * Where an adapter finds the gateway's public warrant keys: the gateway's published JWKS
 * (`GET /.well-known/jwks.json`), fetched on the first warrant (the gateway may start after its
 * departments) and again — at most once per cool-down — when a warrant names a kid it does not
 * know, so the gateway can rotate keys with two active; and the pinned JWKS file, used when no URL
 * is given and until the gateway's JWKS could be fetched once (bootstrap, tests).
 */
export interface WarrantKeySource {
  find(kid: string): Promise<JWK | undefined>;
}

const Jwks = z.object({ keys: z.array(z.looseObject({ kty: z.string(), kid: z.string().optional() })) });

export interface WarrantKeySourceOptions {
  pinned?: JWK[];
  jwksUrl?: string;
  logger: Logger;
  /** A second fetch for an unknown kid waits at least this long after the previous one (default 30 s). */
  cooldownMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

export function createWarrantKeySource(options: WarrantKeySourceOptions): WarrantKeySource {
  const pinned = (options.pinned ?? []).filter((k) => !('d' in k));
  const cooldownMs = options.cooldownMs ?? 30_000;
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  /** null until the gateway's JWKS was fetched once: from then on it is authoritative. */
  let remote: JWK[] | null = null;
  let fetchedAt = -Infinity;
  let inflight: Promise<void> | null = null;

  async function refresh(): Promise<void> {
    fetchedAt = now();
    try {
      const res = await doFetch(options.jwksUrl!, { signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const parsed = Jwks.safeParse(await res.json());
      if (!parsed.success) throw new Error('not a JWKS');
      remote = (parsed.data.keys as JWK[]).filter((k) => !('d' in k));
      options.logger.info({ jwksUrl: options.jwksUrl, kids: remote.map((k) => k.kid) }, 'gateway warrant keys fetched');
    } catch (error) {
      options.logger.warn({ jwksUrl: options.jwksUrl, error: (error as Error).message }, 'cannot fetch the gateway JWKS; using the keys already known');
    }
  }

  // Once the gateway's JWKS has been fetched it decides alone, so a key the gateway withdrew is
  // refused even if the pinned file still has it; the pinned keys serve only until then.
  const lookup = (kid: string) => (remote ?? pinned).find((k) => k.kid === kid);
  const fetchIfDue = async () => {
    if (!inflight && now() - fetchedAt >= cooldownMs) inflight = refresh().finally(() => (inflight = null));
    await inflight;
  };
  return {
    async find(kid) {
      if (!options.jwksUrl) return lookup(kid);
      if (remote === null) await fetchIfDue();
      const known = lookup(kid);
      if (known) return known;
      await fetchIfDue();
      return lookup(kid);
    },
  };
}
