import { z } from 'zod';
import { decodeProtectedHeader, type JWK } from 'jose';
import { EDDSA, JwsRefused } from './eddsa';
import { WarrantEvidence } from './approval-evidence';
import { OrganisationSubject, PersonSubject } from './subjects';

/**
 * The warrant: the gateway's signed order to one department to run one approved inquiry.
 * Compact JWS, alg EdDSA (Ed25519), typ `qiao-warrant+jwt`, kid of a key in the gateway's JWKS.
 * Specified in docs/formats.md; this module is the one implementation both sides use.
 */

export const WARRANT_TYPE = 'qiao-warrant+jwt';
export const WARRANT_ISSUER = 'qiao-gateway';
export const WARRANT_ALG = 'EdDSA';

/** A subject as a warrant carries it: kind and checksummed id, never a name. */
export const WarrantSubject = z.discriminatedUnion('kind', [
  PersonSubject.pick({ kind: true, id: true }),
  OrganisationSubject.pick({ kind: true, id: true }),
]);
export type WarrantSubject = z.infer<typeof WarrantSubject>;

const NAME = /^[a-z][a-z0-9_]{0,63}$/;
const UNIT = /^\d{6}$/;
const b64url = z.string().regex(/^[A-Za-z0-9_-]+$/);

/** The requesting unit's public P-256 encryption key. A private member (`d`) is refused. */
export const RecipientKey = z
  .looseObject({ kty: z.literal('EC'), crv: z.literal('P-256'), x: b64url, y: b64url, kid: z.string().optional() })
  .refine((jwk) => !('d' in jwk), { message: 'must be a public key (no "d" member)' });
export type RecipientKey = z.infer<typeof RecipientKey>;

export const WarrantApproval = z.object({
  /** Pseudonym of the approver (not a username). */
  approver: z.string().min(1).max(128),
  /** GB/T 2260 code of the approver's unit. */
  unit: z.string().regex(UNIT),
  /** ISO 8601 instant, e.g. 2024-05-01T08:30:00.000Z. */
  decided_at: z.iso.datetime({ offset: true }),
});
export type WarrantApproval = z.infer<typeof WarrantApproval>;

const epochSeconds = z.number().int().nonnegative();

export const WarrantClaims = z
  .object({
    iss: z.literal(WARRANT_ISSUER),
    /** The one department this warrant is for, e.g. `public_security`. */
    aud: z.string().regex(NAME),
    jti: z.string().min(1).max(128),
    iat: epochSeconds,
    nbf: epochSeconds,
    exp: epochSeconds,
    inquiry_id: z.string().min(1).max(128),
    legal_basis: z.string().min(1).max(1000),
    /** Pseudonymous case reference: departments must not learn which case asks. */
    case_ref: z.string().min(1).max(200),
    subjects: z.array(WarrantSubject).min(1),
    /** Category → the fields this department may return for it. */
    categories: z
      .record(z.string().regex(NAME), z.array(z.string().regex(NAME)).min(1))
      .refine((c) => Object.keys(c).length > 0, { message: 'must name at least one category' })
      .refine((c) => Object.values(c).every((f) => new Set(f).size === f.length), {
        message: 'fields of a category must be unique',
      }),
    approvals: z.array(WarrantApproval).min(1),
    /** The signed statement, this department's disclosures and the signed approvals (proto/approval-evidence.ts); departments refuse a warrant without them. */
    evidence: WarrantEvidence.optional(),
    recipient: z.object({
      unit: z.string().regex(UNIT),
      key: RecipientKey,
      /** The directory authority's certificate of `key` for `unit` (proto/key-certificate.ts); departments refuse a warrant without it. */
      key_certificate: z.string().min(1).max(8192).optional(),
    }),
  })
  .refine((c) => c.nbf < c.exp, { message: 'nbf must be before exp', path: ['exp'] });
export type WarrantClaims = z.infer<typeof WarrantClaims>;

export type WarrantErrorCode =
  | 'malformed'
  | 'bad_signature'
  | 'unknown_key'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer';

export class WarrantError extends Error {
  override readonly name = 'WarrantError';
  constructor(
    readonly code: WarrantErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Sign validated claims with the gateway's private Ed25519 JWK (which must carry a kid). */
export async function signWarrant(claims: WarrantClaims, { privateJwk }: { privateJwk: JWK }): Promise<string> {
  if (!privateJwk.kid) throw new Error('warrant signing key has no kid');
  const valid = WarrantClaims.parse(claims);
  return EDDSA.sign(new TextEncoder().encode(JSON.stringify(valid)), { alg: WARRANT_ALG, typ: WARRANT_TYPE, kid: privateJwk.kid }, privateJwk);
}

export interface VerifyWarrantOptions {
  /** The gateway's public JWKs (its published JWKS `keys`), or a lookup by kid (remote JWKS with refresh). */
  keys: JWK[] | ((kid: string) => Promise<JWK | undefined>);
  /** The verifying department's name. */
  audience: string;
  now?: Date;
  /** Allowed clock skew for exp and nbf, default 30 seconds. */
  clockToleranceSec?: number;
}

/**
 * Verify in this order: header → key by kid → signature → issuer → audience → claims schema →
 * validity window. Nothing of the payload is trusted before the signature checks out.
 */
export async function verifyWarrant(jws: string, options: VerifyWarrantOptions): Promise<WarrantClaims> {
  const header = readHeader(jws);
  const found = Array.isArray(options.keys) ? options.keys.find((k) => k.kid === header.kid) : await options.keys(header.kid);
  const jwk = found && found.kty === 'OKP' && found.crv === 'Ed25519' ? found : undefined;
  if (!jwk) throw new WarrantError('unknown_key', `no gateway key with kid ${JSON.stringify(header.kid)}`);
  if ('d' in jwk) throw new Error('verifyWarrant was given a private key; pass the public JWKS');

  let payload: Uint8Array;
  try {
    payload = await EDDSA.verify(jws, jwk);
  } catch (error) {
    if (error instanceof JwsRefused && error.reason === 'signature') throw new WarrantError('bad_signature', 'signature does not verify');
    throw new WarrantError('malformed', 'not a valid compact JWS');
  }

  const raw = parseJson(payload);
  if (raw.iss !== WARRANT_ISSUER) throw new WarrantError('wrong_issuer', `issuer must be ${WARRANT_ISSUER}`);
  if (raw.aud !== options.audience) throw new WarrantError('wrong_audience', 'addressed to another department');
  const parsed = WarrantClaims.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const path = first?.path.join('.') || '(root)';
    // Subject problems quote the ID; error messages end up in logs, which must never name subjects.
    const why = path.startsWith('subjects') ? 'is invalid' : (first?.message ?? 'is invalid');
    throw new WarrantError('malformed', `claim ${path} ${why}`);
  }
  const claims = parsed.data;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.clockToleranceSec ?? 30;
  if (now >= claims.exp + tolerance) throw new WarrantError('expired', 'warrant has expired');
  if (now < claims.nbf - tolerance) throw new WarrantError('not_yet_valid', 'warrant is not valid yet');
  return claims;
}

function readHeader(jws: string): { kid: string } {
  if (typeof jws !== 'string' || jws.split('.').length !== 3) {
    throw new WarrantError('malformed', 'not a compact JWS');
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(jws);
  } catch {
    throw new WarrantError('malformed', 'unreadable protected header');
  }
  if (header.alg !== WARRANT_ALG) throw new WarrantError('malformed', `alg must be ${WARRANT_ALG}`);
  if (header.typ !== WARRANT_TYPE) throw new WarrantError('malformed', `typ must be ${WARRANT_TYPE}`);
  if (typeof header.kid !== 'string' || header.kid === '') throw new WarrantError('malformed', 'kid is missing');
  return { kid: header.kid };
}

function parseJson(payload: Uint8Array): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new WarrantError('malformed', 'payload is not a JSON object');
}
