import { calculateJwkThumbprint } from 'jose';
import { describe, expect, it } from 'vitest';
import vector from './vectors/result-v2.json';
import { recipientKeyThumbprint } from './inquiry-statement';
import { jwkPair, newP256PrivateKey } from './node/keys';

describe('recipientKeyThumbprint', () => {
  it('is the RFC 7638 SHA-256 thumbprint jose computes, whatever else the JWK carries', async () => {
    const keys = [vector.publicJwk, ...Array.from({ length: 5 }, () => jwkPair(newP256PrivateKey()).publicJwk)];
    for (const key of keys) {
      const expected = await calculateJwkThumbprint({ kty: key.kty, crv: key.crv, x: key.x, y: key.y }, 'sha256');
      expect(await recipientKeyThumbprint({ ...key, kid: 'some-kid', use: 'enc', alg: 'ECDH-ES+A256KW' })).toBe(expected);
    }
  });
});
