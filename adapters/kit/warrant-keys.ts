import type { JWK } from 'jose';
import type { Logger } from 'pino';
import { z } from 'zod';

/**
 * Where an adapter finds the gateway's public warrant keys: the gateway's published JWKS
 * (`GET /.well-known/jwks.json`), fetched on the first warrant and again — at most once per
 * cool-down — when a warrant names a kid it does not know, so the gateway can rotate keys with
 * two active; and the pinned JWKS file, which keeps working when no URL is given or the gateway's
 * JWKS cannot be fetched (bootstrap, tests).
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
  let remote: JWK[] = [];
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

  const lookup = (kid: string) => remote.find((k) => k.kid === kid) ?? pinned.find((k) => k.kid === kid);
  return {
    async find(kid) {
      const known = lookup(kid);
      if (known || !options.jwksUrl) return known;
      if (!inflight && now() - fetchedAt >= cooldownMs) inflight = refresh().finally(() => (inflight = null));
      await inflight;
      return lookup(kid);
    },
  };
}
