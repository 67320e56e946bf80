import { readFile } from 'node:fs/promises';
import { importJWK, SignJWT, type JWK } from 'jose';

/**
 * The development token issuer: mints a token for any user of the directory, no password asked.
 * `createApp` mounts it only in development mode; production trusts an external issuer.
 */
export interface DevIssuer {
  mint(username: string): Promise<{ token: string; expiresAt: string }>;
}

export const DEV_TOKEN_TTL_SEC = 8 * 3600;

export async function createDevIssuer(options: {
  privateJwk: JWK;
  issuer: string;
  audience: string;
  ttlSec?: number;
  clock?: () => Date;
}): Promise<DevIssuer> {
  const { privateJwk } = options;
  const alg = privateJwk.alg ?? (privateJwk.kty === 'OKP' ? 'EdDSA' : 'ES256');
  if (alg !== 'EdDSA' && alg !== 'ES256') throw new Error(`the dev issuer key must be EdDSA or ES256, not ${alg}`);
  if (!privateJwk.d) throw new Error('the dev issuer key must be a private JWK');
  const key = await importJWK(privateJwk, alg);
  const clock = options.clock ?? (() => new Date());
  const ttl = options.ttlSec ?? DEV_TOKEN_TTL_SEC;
  return {
    async mint(username) {
      const now = Math.floor(clock().getTime() / 1000);
      const token = await new SignJWT({})
        .setProtectedHeader({ alg, typ: 'JWT', ...(privateJwk.kid ? { kid: privateJwk.kid } : {}) })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(username)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + ttl)
        .sign(key);
      return { token, expiresAt: new Date((now + ttl) * 1000).toISOString() };
    },
  };
}

/** Reads the dev issuer's private JWK (certs-dev writes it to keys/dev-issuer.jwk). */
export async function loadDevIssuer(file: string, options: { issuer: string; audience: string; ttlSec?: number }): Promise<DevIssuer> {
  let privateJwk: JWK;
  try {
    privateJwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
  } catch (err) {
    const reason = err instanceof SyntaxError ? 'not valid JSON' : ((err as NodeJS.ErrnoException).code ?? 'unreadable');
    throw new Error(`${file}: cannot load the dev issuer key (${reason})`);
  }
  return createDevIssuer({ privateJwk, ...options });
}
