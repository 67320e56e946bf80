import { base64url, CompactSign, compactVerify, errors as joseErrors, importJWK, type CryptoKey, type JWK } from 'jose';

/**
 * Compact JWS with alg EdDSA, the one signature the formats use (warrants, statements, decisions,
 * receipts, certificates, checkpoints): signed and verified with jose on WebCrypto — in a browser,
 * and for a WebCrypto key anywhere — or, once a Node process installed it (`useEdDSAEngine`), with
 * node:crypto on the calling thread (proto/node/eddsa.ts): the same bytes and the same refusals,
 * which tests hold both engines to.
 */
export interface EdDSAEngine {
  /** `header` as given (alg EdDSA) protecting `payload`, signed with the private JWK or WebCrypto key. */
  sign(payload: Uint8Array, header: EdDSAHeader, key: JWK | CryptoKey): Promise<string>;
  /** The payload of `jws` if its signature verifies with `publicJwk`; throws JwsRefused otherwise. */
  verify(jws: string, publicJwk: JWK): Promise<Uint8Array>;
}

export interface EdDSAHeader {
  alg: 'EdDSA';
  typ?: string;
  kid?: string;
}

/** Why a compact JWS was refused: `signature` when it is well formed but its signature does not verify. */
export class JwsRefused extends Error {
  override readonly name = 'JwsRefused';
  constructor(
    readonly reason: 'malformed' | 'signature',
    message: string,
  ) {
    super(message);
  }
}

// ---- jose on WebCrypto ---------------------------------------------------------------------------

type ImportedKey = Awaited<ReturnType<typeof importJWK>>;

/**
 * Imported public keys by their members: importing a JWK costs about three times the
 * verification itself, and a department sees the same few approvers' keys on every warrant.
 * A pure memo (same members, same key), bounded.
 */
const imported = new Map<string, Promise<ImportedKey>>();
const MAX_IMPORTED = 1024;

export function importPublic(jwk: JWK): Promise<ImportedKey> {
  const id = `${jwk.kty}\0${jwk.crv}\0${jwk.x}\0${jwk.y ?? ''}`;
  let key = imported.get(id);
  if (!key) {
    if (imported.size >= MAX_IMPORTED) imported.delete(imported.keys().next().value!);
    key = importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.y ? { y: jwk.y } : {}) }, 'EdDSA');
    key.catch(() => imported.delete(id));
    imported.set(id, key);
  }
  return key;
}

/**
 * A private JWK imported once per JWK object (a gateway's warrant key, a department's receipt key:
 * one object for the process's life, used on every answer), and again if its members changed.
 * Keyed by the object, so the key material is held nowhere new.
 */
const importedPrivate = new WeakMap<JWK, { members: string; key: Promise<ImportedKey> }>();

export function importPrivate(jwk: JWK): Promise<ImportedKey> {
  const members = `${jwk.kty}\0${jwk.crv}\0${jwk.x}\0${jwk.d}`;
  const kept = importedPrivate.get(jwk);
  if (kept && kept.members === members) return kept.key;
  const key = importJWK(jwk, 'EdDSA');
  key.catch(() => importedPrivate.delete(jwk));
  importedPrivate.set(jwk, { members, key });
  return key;
}

/** Whether a key is a WebCrypto key (the console's non-extractable ones), not a JWK. */
export const isCryptoKey = (key: JWK | CryptoKey): key is CryptoKey => !('kty' in key) && 'algorithm' in key;

export const JOSE_EDDSA: EdDSAEngine = {
  async sign(payload, header, key) {
    return new CompactSign(payload).setProtectedHeader({ ...header }).sign(isCryptoKey(key) ? key : await importPrivate(key));
  },
  async verify(jws, publicJwk) {
    const key = await importPublic(publicJwk);
    refuseExtensions(jws);
    try {
      return (await compactVerify(jws, key, { algorithms: ['EdDSA'] })).payload;
    } catch (error) {
      if (error instanceof joseErrors.JWSSignatureVerificationFailed) throw new JwsRefused('signature', 'signature does not verify');
      throw new JwsRefused('malformed', `not a valid compact JWS (${(error as Error).message})`);
    }
  },
};

/**
 * `crit` and `b64` (RFC 7797's unencoded payload, which jose would accept with `crit: ["b64"]`)
 * are extensions no format uses: refused before anything else, as the node:crypto engine refuses
 * them, so both engines read a JWS alike.
 */
function refuseExtensions(jws: string): void {
  if (typeof jws !== 'string') return; // the verifier says what is wrong with it
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(base64url.decode(jws.slice(0, Math.max(0, jws.indexOf('.'))))));
  } catch {
    return;
  }
  if (header && typeof header === 'object' && ('crit' in header || ('b64' in header && (header as { b64: unknown }).b64 !== true))) {
    throw new JwsRefused('malformed', 'not a valid compact JWS (crit or b64 in the header)');
  }
}

// ---- the engine in use ---------------------------------------------------------------------------

let engine: EdDSAEngine = JOSE_EDDSA;

/**
 * Makes `next` the engine the formats sign and verify with, for the whole process: a Node process
 * installs node:crypto's at its start (proto/node/eddsa.ts `useNodeEdDSA`: the gateway, the
 * adapters, the command line, the tests); a browser keeps jose's.
 */
export function useEdDSAEngine(next: EdDSAEngine): void {
  engine = next;
}

/** What the formats sign and verify with: jose's, unless a Node process installed node:crypto's. */
export const EDDSA: EdDSAEngine = {
  sign: (payload, header, key) => engine.sign(payload, header, key),
  verify: (jws, publicJwk) => engine.verify(jws, publicJwk),
};
