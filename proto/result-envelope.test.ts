import { describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { decodeNdjson, decryptResult, encodeNdjson, encryptResult, RESULT_FORMAT } from './result-envelope';
import vector from './vectors/result-v1.json';

const privateJwk = vector.privateJwk as JWK;
const publicJwk = vector.publicJwk as JWK;

describe('result envelope test vector', () => {
  it('the fixed JWE decrypts with the fixed key to the vector records', async () => {
    expect(vector.format).toBe(RESULT_FORMAT);
    expect(await decryptResult(new TextEncoder().encode(vector.jwe), privateJwk)).toEqual(vector.records);
  });

  it('the vector plaintext is the NDJSON encoding of the records', () => {
    expect(new TextDecoder().decode(encodeNdjson(vector.records))).toBe(vector.plaintext);
  });

  it('has the documented protected header', () => {
    const header = JSON.parse(Buffer.from(vector.jwe.split('.')[0]!, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'application/x-ndjson', kid: publicJwk.kid });
    expect(header.epk).toMatchObject({ kty: 'EC', crv: 'P-256' });
  });
});

describe('encryptResult / decryptResult', () => {
  it('round-trip records, including none and non-ASCII text', async () => {
    for (const records of [[], vector.records, [{ category: 'x', subject: 'y', note: '鄂尔多斯 "quoted"\nline' }]]) {
      expect(await decryptResult(await encryptResult(records, publicJwk), privateJwk)).toEqual(records);
    }
  });

  it('encrypting twice gives different ciphertexts (fresh ephemeral key and content key)', async () => {
    const a = await encryptResult(vector.records, publicJwk);
    const b = await encryptResult(vector.records, publicJwk);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('another key cannot decrypt', async () => {
    const { privateKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
    const other = await exportJWK(privateKey);
    await expect(decryptResult(await encryptResult(vector.records, publicJwk), other)).rejects.toThrow(/cannot decrypt/);
  });

  it('a flipped ciphertext byte is detected', async () => {
    const parts = vector.jwe.split('.');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    parts[3] = ct.toString('base64url');
    await expect(decryptResult(new TextEncoder().encode(parts.join('.')), privateJwk)).rejects.toThrow(/cannot decrypt/);
  });

  it('refuses to encrypt to a private key object (a bug that would hint at key handling gone wrong)', async () => {
    await expect(encryptResult([], privateJwk)).rejects.toThrow(/public key/);
  });
});

describe('NDJSON', () => {
  it('refuses a missing final newline and non-object lines', () => {
    expect(() => decodeNdjson(new TextEncoder().encode('{"a":1}'))).toThrow(/newline/);
    expect(() => decodeNdjson(new TextEncoder().encode('[1]\n'))).toThrow(/not a JSON object/);
    expect(decodeNdjson(new TextEncoder().encode(''))).toEqual([]);
  });
});
