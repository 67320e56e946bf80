import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet } from 'jose';
import { z } from 'zod';

/**
 * Bearer tokens: JWTs signed by the identity issuer, verified against its JWKS. Only asymmetric
 * algorithms are accepted, so `alg: none` and HS* (where the public key would double as an HMAC
 * secret) are refused before any key is looked at.
 */
export const TOKEN_ALGORITHMS = ['EdDSA', 'ES256'];
export const CLOCK_TOLERANCE_SEC = 30;
const MAX_TOKEN_LENGTH = 8192;

export type TokenProblem = 'malformed' | 'expired' | 'not_yet_valid' | 'wrong_issuer' | 'wrong_audience' | 'bad_signature' | 'unknown_key';

export class TokenError extends Error {
  override readonly name = 'TokenError';
  constructor(
    readonly problem: TokenProblem,
    message: string,
  ) {
    super(message);
  }
}

/** The issuer's keys could not be fetched: not the caller's fault, try again (503). */
export class IssuerKeysUnavailable extends Error {
  override readonly name = 'IssuerKeysUnavailable';
}

/**
 * Where the issuer's public keys come from: a JWKS held in memory (read from a file at start),
 * or the issuer's JWKS URL — fetched on first use, cached, and fetched again when a token names
 * a `kid` the cache does not have (key rotation), at most once per `cooldownMs`.
 */
export type JwksSource = JSONWebKeySet | { url: URL; cooldownMs?: number; cacheMaxAgeMs?: number; timeoutMs?: number };

export const JWKS_COOLDOWN_MS = 30_000;
export const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;

export interface VerifiedToken {
  /** The username in the gateway's directory. */
  subject: string;
  expiresAt: Date;
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

export function createTokenVerifier(options: {
  jwks: JwksSource;
  issuer: string;
  audience: string;
  clockToleranceSec?: number;
}): TokenVerifier {
  const source = options.jwks;
  const remote = 'url' in source;
  const keys = remote
    ? createRemoteJWKSet(source.url, {
        cooldownDuration: source.cooldownMs ?? JWKS_COOLDOWN_MS,
        cacheMaxAge: source.cacheMaxAgeMs ?? JWKS_CACHE_MAX_AGE_MS,
        timeoutDuration: source.timeoutMs ?? 5_000,
      })
    : createLocalJWKSet(source);
  return {
    async verify(token) {
      if (token.length > MAX_TOKEN_LENGTH) throw new TokenError('malformed', 'token is too long');
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: TOKEN_ALGORITHMS,
          clockTolerance: options.clockToleranceSec ?? CLOCK_TOLERANCE_SEC,
          requiredClaims: ['sub', 'exp'],
        });
        if (!payload.sub || payload.sub.length > 200) throw new TokenError('malformed', 'token has no usable subject');
        return { subject: payload.sub, expiresAt: new Date(payload.exp! * 1000) };
      } catch (err) {
        if (remote && isFetchFailure(err)) throw new IssuerKeysUnavailable(`the token issuer's keys cannot be fetched from ${source.url.origin} right now`);
        throw toTokenError(err);
      }
    },
  };
}

/** A failure to get the JWKS, as opposed to a verdict on the token. */
function isFetchFailure(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  if (err instanceof errors.JOSEError) return err.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set/.test(err.message);
  // fetch() itself failing (connection refused, DNS): a TypeError with a cause.
  return err instanceof TypeError;
}

function toTokenError(err: unknown): TokenError {
  if (err instanceof TokenError) return err;
  if (err instanceof errors.JWTExpired) return new TokenError('expired', 'token has expired');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return new TokenError('wrong_issuer', 'token is from an issuer this gateway does not trust');
    if (err.claim === 'aud') return new TokenError('wrong_audience', 'token is not meant for this gateway');
    if (err.claim === 'nbf') return new TokenError('not_yet_valid', 'token is not valid yet');
    return new TokenError('malformed', `token claim ${err.claim} is invalid`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return new TokenError('bad_signature', 'token signature is invalid');
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
    return new TokenError('unknown_key', 'token is signed by an unknown key');
  }
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) {
    return new TokenError('malformed', `token algorithm is not accepted (accepted: ${TOKEN_ALGORITHMS.join(', ')})`);
  }
  return new TokenError('malformed', 'token is malformed');
}

const PublicJwk = z.looseObject({
  kty: z.enum(['OKP', 'EC'], { error: () => 'only OKP (Ed25519) and EC (P-256) keys are accepted' }),
  d: z.undefined({ error: () => 'is a private key: a JWKS must hold public keys only' }).optional(),
});
const JwksFile = z.object({ keys: z.array(PublicJwk).min(1, 'must hold at least one key') });

/** Reads the issuer's public JWKS, refusing private and symmetric keys; errors name the file. */
export async function loadJwksFile(file: string): Promise<JSONWebKeySet> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const reason = err instanceof SyntaxError ? 'not valid JSON' : ((err as NodeJS.ErrnoException).code ?? 'unreadable');
    throw new Error(`${file}: cannot load the token issuer's JWKS (${reason})`);
  }
  const parsed = JwksFile.safeParse(json);
  if (!parsed.success) {
    const problem = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
    throw new Error(`${file}: not a usable JWKS: ${problem}`);
  }
  return parsed.data as unknown as JSONWebKeySet;
}
