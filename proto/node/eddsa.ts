import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { isCryptoKey, JOSE_EDDSA, JwsRefused, useEdDSAEngine, type EdDSAEngine } from '../eddsa';

/**
 * The formats' EdDSA compact JWS (proto/eddsa.ts) on node:crypto, on the calling thread: the same
 * bytes as jose's (Ed25519 is deterministic and the header is serialised as jose serialises it)
 * and the same refusals, at under half the CPU and without WebCrypto's thread hop (a verify ~0.26
 * → ~0.11 ms, a signature ~0.11 → ~0.04 ms on these machines). A WebCrypto key (the console's) is
 * still signed with by jose.
 */
const MAX_IMPORTED = 1024;
const B64URL = /^[A-Za-z0-9_-]+$/;

function nodeEngine(): EdDSAEngine {
  const publicKeys = new Map<string, KeyObject>();
  const privateKeys = new WeakMap<JWK, { members: string; key: KeyObject }>();
  const publicKeyOf = (jwk: JWK): KeyObject => {
    const id = `${jwk.kty}\0${jwk.crv}\0${jwk.x}`;
    let key = publicKeys.get(id);
    if (!key) {
      if (jwk.kty !== 'OKP' || (jwk.crv !== 'Ed25519' && jwk.crv !== 'Ed448') || typeof jwk.x !== 'string') throw new TypeError('an EdDSA key must be an OKP Ed25519 or Ed448 JWK');
      key = createPublicKey({ key: { kty: 'OKP', crv: jwk.crv, x: jwk.x }, format: 'jwk' });
      if (publicKeys.size >= MAX_IMPORTED) publicKeys.delete(publicKeys.keys().next().value!);
      publicKeys.set(id, key);
    }
    return key;
  };
  const privateKeyOf = (jwk: JWK): KeyObject => {
    const members = `${jwk.kty}\0${jwk.crv}\0${jwk.x}\0${jwk.d}`;
    const kept = privateKeys.get(jwk);
    if (kept && kept.members === members) return kept.key;
    if (jwk.kty !== 'OKP' || (jwk.crv !== 'Ed25519' && jwk.crv !== 'Ed448') || typeof jwk.x !== 'string' || typeof jwk.d !== 'string') throw new TypeError('an EdDSA signing key must be a private OKP Ed25519 or Ed448 JWK');
    const key = createPrivateKey({ key: { kty: 'OKP', crv: jwk.crv, x: jwk.x, d: jwk.d }, format: 'jwk' });
    privateKeys.set(jwk, { members, key });
    return key;
  };
  return {
    async sign(payload, header, key) {
      if (isCryptoKey(key)) return JOSE_EDDSA.sign(payload, header, key);
      const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64url')}`;
      return `${input}.${sign(null, Buffer.from(input), privateKeyOf(key)).toString('base64url')}`;
    },
    async verify(jws, publicJwk) {
      const key = publicKeyOf(publicJwk);
      if (typeof jws !== 'string') throw new JwsRefused('malformed', 'not a valid compact JWS (not a string)');
      const parts = jws.split('.');
      if (parts.length !== 3) throw new JwsRefused('malformed', 'not a valid compact JWS (not three parts)');
      const [protectedHeader, payload, signature] = parts as [string, string, string];
      // An empty payload is a valid JWS; an empty signature one that does not verify (as jose has it).
      if (!B64URL.test(protectedHeader) || !(payload === '' || B64URL.test(payload)) || !(signature === '' || B64URL.test(signature))) throw new JwsRefused('malformed', 'not a valid compact JWS (a part is not base64url)');
      let header: unknown;
      try {
        header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(protectedHeader, 'base64url')));
      } catch {
        throw new JwsRefused('malformed', 'not a valid compact JWS (the protected header is not JSON)');
      }
      if (!header || typeof header !== 'object' || Array.isArray(header)) throw new JwsRefused('malformed', 'not a valid compact JWS (the protected header is not an object)');
      const h = header as Record<string, unknown>;
      if (h.alg !== 'EdDSA') throw new JwsRefused('malformed', 'not a valid compact JWS (alg is not EdDSA)');
      // Extensions the formats never use are refused, as jose refuses what it does not understand.
      if ('crit' in h || ('b64' in h && h.b64 !== true)) throw new JwsRefused('malformed', 'not a valid compact JWS (crit or b64 in the header)');
      if (!verify(null, Buffer.from(`${protectedHeader}.${payload}`), key, Buffer.from(signature, 'base64url'))) throw new JwsRefused('signature', 'signature does not verify');
      return new Uint8Array(Buffer.from(payload, 'base64url'));
    },
  };
}

export const NODE_EDDSA: EdDSAEngine = nodeEngine();

/** Signs and verifies with node:crypto from now on, in this whole process (its entry calls it first). */
export function useNodeEdDSA(): void {
  useEdDSAEngine(NODE_EDDSA);
}
