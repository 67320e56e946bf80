import { randomUUID } from 'node:crypto';
import { base64url, SignJWT, UnsecuredJWT, type JSONWebKeySet, type JWK } from 'jose';
import { jwkPair, newEd25519PrivateKey, newP256PrivateKey } from '../../proto/node/keys';

export const TEST_ISSUER = 'qiao-test-issuer';
export const TEST_AUDIENCE = 'qiao-gateway';

export interface MintOptions {
  issuer?: string;
  audience?: string;
  /** Seconds from now; negative for an already expired token. Default 1 hour. */
  expiresIn?: number;
  /** Seconds from now before which the token is not valid. Default: now. */
  notBefore?: number;
  alg?: 'EdDSA' | 'ES256';
  /** `stranger`: a key of the same kind and `kid` that the gateway does not know — a forgery. */
  signWith?: 'issuer' | 'stranger';
  /** Leave out `exp`. */
  noExpiry?: boolean;
}

/** The identity issuer of a test gateway: real keys, and the ways tokens go wrong. */
export interface TestIssuer {
  privateJwk: JWK;
  publicJwks: JSONWebKeySet;
  mint(subject: string, options?: MintOptions): Promise<string>;
  /** `alg: none`, no signature. */
  unsigned(subject: string): string;
  /** HS256 keyed with the issuer's public key: the classic algorithm-confusion forgery. */
  hs256(subject: string): Promise<string>;
  /** A valid token with its payload swapped for one naming `subject`; the signature no longer matches. */
  tamper(token: string, subject: string): string;
}

export async function createTestIssuer(): Promise<TestIssuer> {
  // Keys made without a generation job (proto/node/keys.ts); jose signs with the KeyObject.
  const make = (alg: 'EdDSA' | 'ES256') => {
    const privateKey = alg === 'EdDSA' ? newEd25519PrivateKey() : newP256PrivateKey();
    const kid = `test-${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
    const { publicJwk, privateJwk } = jwkPair(privateKey);
    return { privateKey, privateJwk, kid, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } as JWK };
  };
  const keys = { EdDSA: make('EdDSA'), ES256: make('ES256') };
  const strangers = { EdDSA: make('EdDSA'), ES256: make('ES256') };
  const privateJwk: JWK = { ...keys.EdDSA.privateJwk, kid: keys.EdDSA.kid, alg: 'EdDSA', use: 'sig' };
  const publicJwks: JSONWebKeySet = { keys: [keys.EdDSA.publicJwk, keys.ES256.publicJwk] };
  const claims = (subject: string, o: MintOptions) => {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: o.issuer ?? TEST_ISSUER,
      aud: o.audience ?? TEST_AUDIENCE,
      sub: subject,
      iat: now,
      nbf: now + (o.notBefore ?? 0),
      ...(o.noExpiry ? {} : { exp: now + (o.expiresIn ?? 3600) }),
    };
  };

  return {
    privateJwk,
    publicJwks,
    async mint(subject, options = {}) {
      const alg = options.alg ?? 'EdDSA';
      const key = (options.signWith === 'stranger' ? strangers : keys)[alg];
      return new SignJWT(claims(subject, options))
        .setProtectedHeader({ alg, typ: 'JWT', kid: keys[alg].kid })
        .sign(key.privateKey);
    },
    unsigned(subject) {
      return new UnsecuredJWT(claims(subject, {})).encode();
    },
    async hs256(subject) {
      const secret = new TextEncoder().encode(JSON.stringify(keys.EdDSA.publicJwk));
      return new SignJWT(claims(subject, {})).setProtectedHeader({ alg: 'HS256', kid: keys.EdDSA.kid }).sign(secret);
    },
    tamper(token, subject) {
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const claimsIn = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
      return [header, base64url.encode(JSON.stringify({ ...claimsIn, sub: subject })), signature].join('.');
    },
  };
}
