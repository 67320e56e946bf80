import { randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, importJWK, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { decodeBase64, decodeHex, encodeUtf8, encodeHex } from '../bytes';
import { createSha256 } from '../hash';
import { decryptResult, encryptRecords, RESULT_ALG, RESULT_ENC, RESULT_FORMAT_V1, ResultDecryptor, ResultEncryptor, ResultEnvelopeError, webCryptoFrameCipher, type EnvelopeOptions } from '../result-envelope';
import vector from '../vectors/result-v2.json';
import { NODE_ENVELOPE, nodeFrameCipher, nodeHeaderKey, nodeSha256 } from './primitives';
import { jwkPair, newP256PrivateKey } from './keys';

const binding = { warrantId: 'w-1', department: 'bank' };
const WEB: EnvelopeOptions = {};

async function unitKey(): Promise<{ publicJwk: JWK; privateJwk: JWK }> {
  return jwkPair(newP256PrivateKey());
}

async function collect(pieces: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const out: Uint8Array[] = [];
  for await (const piece of pieces) out.push(piece);
  return Buffer.concat(out);
}

describe('node:crypto primitives give the contract’s bytes', () => {
  it('seal and open one frame exactly as WebCrypto does', async () => {
    const [key, nonce, aad, plaintext] = [randomBytes(32), randomBytes(12), randomBytes(70), randomBytes(65_536)];
    const [web, node] = [await webCryptoFrameCipher(key), await nodeFrameCipher(key)];
    const sealed = await node.seal(nonce, aad, plaintext);
    expect(encodeHex(sealed)).toBe(encodeHex(await web.seal(nonce, aad, plaintext)));
    expect(encodeHex((await web.open(nonce, aad, sealed))!)).toBe(encodeHex(plaintext));
    expect(encodeHex((await node.open(nonce, aad, sealed))!)).toBe(encodeHex(plaintext));
    const flipped = Uint8Array.from(sealed);
    flipped[100]! ^= 1;
    expect(await node.open(nonce, aad, flipped)).toBeNull();
    expect(await node.open(nonce, aad, sealed.subarray(0, 15))).toBeNull();
  });

  it('decrypt the published result vector', async () => {
    expect(await decryptResult(decodeBase64(vector.result), vector.privateJwk as JWK, vector.binding, { format: RESULT_FORMAT_V1 })).toEqual(vector.records);
    const dec = new ResultDecryptor(vector.privateJwk as JWK, vector.binding, { ...NODE_ENVELOPE, format: RESULT_FORMAT_V1 });
    const plain = [...(await dec.push(decodeBase64(vector.result))), ...(await dec.finish())];
    expect(Buffer.concat(plain).toString('utf8')).toBe(vector.plaintext);
  });

  it('a result written with either cipher reads with the other, and tampering fails the same check', async () => {
    const { publicJwk, privateJwk } = await unitKey();
    const records = Array.from({ length: 3000 }, (_, i) => ({ i, note: 'x'.repeat(i % 50) }));
    for (const [write, read] of [[NODE_ENVELOPE, WEB], [WEB, NODE_ENVELOPE]] as const) {
      const bytes = await collect(encryptRecords(records, publicJwk, binding, write));
      const dec = new ResultDecryptor(privateJwk, binding, read);
      expect([...(await dec.push(bytes)), ...(await dec.finish())].length).toBeGreaterThan(1);
      const tampered = Uint8Array.from(bytes);
      tampered[tampered.length - 20]! ^= 1;
      const bad = new ResultDecryptor(privateJwk, binding, read);
      const err = await bad.push(tampered).then(() => bad.finish()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ResultEnvelopeError);
      expect((err as ResultEnvelopeError).check).toBe('frame-authentication');
    }
    const enc = await ResultEncryptor.create(publicJwk, binding, NODE_ENVELOPE);
    expect(enc.header.length).toBeGreaterThan(4);
  });

  it('the header’s JWE on node:crypto is jose’s format, both ways, and refuses what jose refuses', async () => {
    const node = nodeHeaderKey();
    const { publicJwk, privateJwk } = await unitKey();
    const frameKey = randomBytes(32);
    const header = { alg: RESULT_ALG, enc: RESULT_ENC, cty: 'application/qiao-frame-key', kid: 'unit-key' };
    // node seals, jose opens; jose seals, node opens.
    const sealed = await node.seal(frameKey, publicJwk, header);
    const opened = await compactDecrypt(sealed, await importJWK(privateJwk, RESULT_ALG), { keyManagementAlgorithms: [RESULT_ALG], contentEncryptionAlgorithms: [RESULT_ENC] });
    expect(encodeHex(opened.plaintext)).toBe(encodeHex(frameKey));
    expect(opened.protectedHeader).toMatchObject(header);
    const byJose = await new CompactEncrypt(frameKey).setProtectedHeader(header).encrypt(await importJWK(publicJwk, RESULT_ALG));
    expect(encodeHex(await node.open(byJose, privateJwk))).toBe(encodeHex(frameKey));
    // The published vector's header, and jose with agreement info set (apu, apv).
    expect(encodeHex(await node.open(vector.headerJwe, vector.privateJwk as JWK))).toBe(vector.contentKeyHex);
    const withParties = await new CompactEncrypt(frameKey)
      .setProtectedHeader(header)
      .setKeyManagementParameters({ apu: encodeUtf8('gateway'), apv: encodeUtf8('unit') })
      .encrypt(await importJWK(publicJwk, RESULT_ALG));
    expect(encodeHex(await node.open(withParties, privateJwk))).toBe(encodeHex(frameKey));

    const [h, ek, iv, ct, tag] = sealed.split('.') as [string, string, string, string, string];
    const headerWith = (change: (h: Record<string, unknown>) => void) => {
      const parsed = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
      change(parsed);
      return Buffer.from(JSON.stringify(parsed)).toString('base64url');
    };
    const other = await unitKey();
    const flip = (part: string) => Buffer.from(Buffer.from(part, 'base64url').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64url');
    const refused: [string, string, JWK][] = [
      ['another unit’s key', sealed, other.privateJwk],
      ['a changed header (its bytes are the AAD)', [headerWith((x) => (x.kid = 'other')), ek, iv, ct, tag].join('.'), privateJwk],
      ['another ephemeral key', [headerWith((x) => (x.epk = { ...(x.epk as object), x: other.publicJwk.x, y: other.publicJwk.y })), ek, iv, ct, tag].join('.'), privateJwk],
      ['alg dir', [headerWith((x) => (x.alg = 'dir')), ek, iv, ct, tag].join('.'), privateJwk],
      ['enc A128GCM', [headerWith((x) => (x.enc = 'A128GCM')), ek, iv, ct, tag].join('.'), privateJwk],
      ['zip', [headerWith((x) => (x.zip = 'DEF')), ek, iv, ct, tag].join('.'), privateJwk],
      ['crit', [headerWith((x) => (x.crit = ['b64'])), ek, iv, ct, tag].join('.'), privateJwk],
      ['an epk off the curve', [headerWith((x) => (x.epk = { ...(x.epk as object), y: (x.epk as JWK).x })), ek, iv, ct, tag].join('.'), privateJwk],
      ['a changed wrapped key', [h, flip(ek), iv, ct, tag].join('.'), privateJwk],
      ['a changed ciphertext', [h, ek, iv, flip(ct), tag].join('.'), privateJwk],
      ['a changed tag', [h, ek, iv, ct, flip(tag)].join('.'), privateJwk],
      ['four parts', [h, ek, iv, ct].join('.'), privateJwk],
      ['not base64url', [h, ek, iv, ct, tag + '='].join('.'), privateJwk],
    ];
    for (const [what, jwe, key] of refused) {
      await expect(Promise.resolve().then(() => node.open(jwe, key)), what).rejects.toThrow();
      await expect(compactDecrypt(jwe, await importJWK(key, RESULT_ALG), { keyManagementAlgorithms: [RESULT_ALG], contentEncryptionAlgorithms: [RESULT_ENC] }), what).rejects.toThrow();
    }
    // Through the envelope: the wrong key is the header check, whichever side made the header.
    const bytes = await collect(encryptRecords([{ a: 1 }], publicJwk, binding, NODE_ENVELOPE));
    const dec = new ResultDecryptor(other.privateJwk, binding, NODE_ENVELOPE);
    const err = await dec.push(bytes).catch((e: unknown) => e);
    expect((err as ResultEnvelopeError).check).toBe('header-decryption');
  });

  it('node:crypto’s SHA-256 is the contract’s', () => {
    const data = encodeUtf8('qiao'.repeat(50_000));
    expect(encodeHex(nodeSha256().update(data).digest())).toBe(encodeHex(createSha256().update(data).digest()));
    expect(encodeHex(nodeSha256().update(new Uint8Array(0)).digest())).toBe(encodeHex(decodeHex('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')));
  });
});
