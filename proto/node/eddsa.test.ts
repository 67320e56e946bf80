import { createPrivateKey, randomBytes, sign } from 'node:crypto';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { EDDSA, JOSE_EDDSA, JwsRefused, useEdDSAEngine, type EdDSAEngine } from '../eddsa';
import { NODE_EDDSA, useNodeEdDSA } from './eddsa';
import { jwkPair, newEd25519PrivateKey } from './keys';

async function keyPair(): Promise<{ publicJwk: JWK; privateJwk: JWK; privateKey: CryptoKey }> {
  const { publicJwk, privateJwk } = jwkPair(newEd25519PrivateKey());
  // The WebCrypto key imported from the JWK: jose's generation would make one by a job (keys.ts).
  return { publicJwk, privateJwk, privateKey: (await importJWK(privateJwk, 'EdDSA')) as CryptoKey };
}

const b64 = (text: string) => Buffer.from(text).toString('base64url');

async function refusal(engine: EdDSAEngine, jws: string, jwk: JWK): Promise<string> {
  try {
    await engine.verify(jws, jwk);
    return 'accepted';
  } catch (error) {
    return error instanceof JwsRefused ? error.reason : `threw ${(error as Error).name}`;
  }
}

describe('EdDSA compact JWS: node:crypto and jose give the same bytes and the same refusals', () => {
  const node = NODE_EDDSA;

  it('the formats sign with the engine installed: node:crypto in the tests (as in the Node processes), jose until then', async () => {
    const { publicJwk, privateJwk } = await keyPair();
    const payload = new TextEncoder().encode('{"a":1}');
    const header = { alg: 'EdDSA' as const, kid: 'k' };
    const calls: string[] = [];
    const counting = (name: string, engine: EdDSAEngine): EdDSAEngine => ({
      sign: (...a) => (calls.push(`${name} sign`), engine.sign(...a)),
      verify: (...a) => (calls.push(`${name} verify`), engine.verify(...a)),
    });
    try {
      useEdDSAEngine(counting('jose', JOSE_EDDSA));
      await EDDSA.verify(await EDDSA.sign(payload, header, privateJwk), publicJwk);
      useEdDSAEngine(counting('node', NODE_EDDSA));
      await EDDSA.verify(await EDDSA.sign(payload, header, privateJwk), publicJwk);
    } finally {
      useNodeEdDSA();
    }
    expect(calls).toEqual(['jose sign', 'jose verify', 'node sign', 'node verify']);
  });

  it('signs byte for byte as jose does, and each verifies the other', async () => {
    const { publicJwk, privateJwk, privateKey } = await keyPair();
    for (const payload of [new Uint8Array(0), randomBytes(1), randomBytes(700), new TextEncoder().encode('{"a":"é中"}')]) {
      const header = { alg: 'EdDSA' as const, typ: 'qiao-test+jwt', kid: 'k-1' };
      const byNode = await node.sign(payload, header, privateJwk);
      expect(byNode).toBe(await JOSE_EDDSA.sign(payload, header, privateJwk));
      // A WebCrypto key (the console's) is signed with by jose, whichever engine is asked.
      expect(await node.sign(payload, header, privateKey)).toBe(byNode);
      expect(Buffer.from(await JOSE_EDDSA.verify(byNode, publicJwk)).equals(Buffer.from(payload))).toBe(true);
      expect(Buffer.from(await node.verify(byNode, publicJwk)).equals(Buffer.from(payload))).toBe(true);
    }
  });

  it('refuses what jose refuses, for the same reason', async () => {
    const { publicJwk, privateJwk } = await keyPair();
    const other = await keyPair();
    const good = await node.sign(new TextEncoder().encode('{"x":1}'), { alg: 'EdDSA', typ: 't', kid: 'k' }, privateJwk);
    const [h, p, s] = good.split('.') as [string, string, string];
    const flip = (part: string, at = 0) => Buffer.from(Buffer.from(part, 'base64url').map((b, i) => (i === at ? b ^ 1 : b))).toString('base64url');
    const resigned = async (header: object) => {
      const input = `${b64(JSON.stringify(header))}.${p}`;
      return `${input}.${sign(null, Buffer.from(input), createPrivateKey({ key: privateJwk as never, format: 'jwk' })).toString('base64url')}`;
    };
    const cases: [string, string, JWK, string][] = [
      ['another key', good, other.publicJwk, 'signature'],
      ['a changed payload', `${h}.${flip(p)}.${s}`, publicJwk, 'signature'],
      ['a changed signature', `${h}.${p}.${flip(s, 10)}`, publicJwk, 'signature'],
      ['a short signature', `${h}.${p}.${b64('short')}`, publicJwk, 'signature'],
      ['a changed header', `${b64(JSON.stringify({ alg: 'EdDSA', typ: 't', kid: 'other' }))}.${p}.${s}`, publicJwk, 'signature'],
      ['alg none', `${b64(JSON.stringify({ alg: 'none' }))}.${p}.${s}`, publicJwk, 'malformed'],
      ['alg ES256', `${b64(JSON.stringify({ alg: 'ES256' }))}.${p}.${s}`, publicJwk, 'malformed'],
      ['no alg', `${b64(JSON.stringify({ typ: 't' }))}.${p}.${s}`, publicJwk, 'malformed'],
      ['a header that is not JSON', `${b64('{alg')}.${p}.${s}`, publicJwk, 'malformed'],
      ['a header that is an array', `${b64('["EdDSA"]')}.${p}.${s}`, publicJwk, 'malformed'],
      ['two parts', `${h}.${p}`, publicJwk, 'malformed'],
      ['four parts', `${h}.${p}.${s}.x`, publicJwk, 'malformed'],
      ['an empty signature', `${h}.${p}.`, publicJwk, 'signature'],
      ['a signature that is not base64url', `${h}.${p}.${s}=`, publicJwk, 'malformed'],
      ['an empty header', `.${p}.${s}`, publicJwk, 'malformed'],
      ['crit, signed', await resigned({ alg: 'EdDSA', crit: ['exp'], exp: 1 }), publicJwk, 'malformed'],
      // jose alone would take this one (RFC 7797's unencoded payload): both refuse it.
      ['b64 false, signed', await resigned({ alg: 'EdDSA', b64: false, crit: ['b64'] }), publicJwk, 'malformed'],
      ['b64 false without crit, signed', await resigned({ alg: 'EdDSA', b64: false }), publicJwk, 'malformed'],
    ];
    for (const [what, jws, jwk, reason] of cases) {
      expect(await refusal(node, jws, jwk), what).toBe(reason);
      expect(await refusal(JOSE_EDDSA, jws, jwk), what).toBe(reason);
    }
    // An extra header member signed along is accepted by both (the formats check typ and kid themselves).
    expect(await refusal(node, await resigned({ alg: 'EdDSA', typ: 't', extra: 1 }), publicJwk)).toBe('accepted');
    expect(await refusal(JOSE_EDDSA, await resigned({ alg: 'EdDSA', typ: 't', extra: 1 }), publicJwk)).toBe('accepted');
  });
});
