import { createDecipheriv } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  decryptRecords,
  decryptResult,
  encryptRecords,
  encryptResult,
  FRAME_PLAINTEXT_BYTES,
  RESULT_FORMAT,
  ResultDecryptor,
  ResultEncryptor,
  ResultEnvelopeError,
  splitPieces,
} from './result-envelope';
import vector from './vectors/result-v2.json';

const privateJwk = vector.privateJwk as JWK;
const publicJwk = vector.publicJwk as JWK;
const binding = vector.binding;
const stored = Buffer.from(vector.result, 'base64');

async function checkOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (error) {
    if (error instanceof ResultEnvelopeError) return error.check;
    throw error;
  }
}

describe('result envelope test vector', () => {
  it('decrypts with the fixed key and binding to the vector records', async () => {
    expect(vector.format).toBe(RESULT_FORMAT);
    expect(await decryptResult(stored, privateJwk, binding)).toEqual(vector.records);
  });

  it('can be decrypted step by step with the documented intermediate values (what another library does)', () => {
    const pieces = splitPieces(stored);
    expect(pieces[0]!.subarray(4).toString('ascii')).toBe(vector.headerJwe);
    const header = JSON.parse(Buffer.from(vector.headerJwe.split('.')[0]!, 'base64url').toString());
    expect(header).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'application/qiao-frame-key', kid: publicJwk.kid });
    const plaintext = pieces.slice(1).map((frame, i) => {
      const body = frame.subarray(4);
      expect(body.length).toBe(vector.frames[i]!.length);
      const d = createDecipheriv('aes-256-gcm', Buffer.from(vector.contentKeyHex, 'hex'), Buffer.from(vector.frames[i]!.nonceHex, 'hex'));
      d.setAAD(Buffer.from(vector.aadHex, 'hex'));
      d.setAuthTag(body.subarray(body.length - 16));
      return Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]);
    });
    expect(Buffer.concat(plaintext).toString('utf8')).toBe(vector.plaintext);
  });
});

describe('encrypt / decrypt', () => {
  it('round-trip records, including none and non-ASCII text with newlines inside strings', async () => {
    for (const records of [[], vector.records, [{ category: 'x', subject: 'y', note: '鄂尔多斯 "quoted"\nline' }]]) {
      expect(await decryptResult(await encryptResult(records, publicJwk, binding), privateJwk, binding)).toEqual(records);
    }
  });

  it('splits large results into frames of at most 64 KiB and reads them back from chunks cut anywhere', async () => {
    const records = Array.from({ length: 2000 }, (_, n) => ({ n, text: '木呼敦包'.repeat(30) }));
    const bytes = await encryptResult(records, publicJwk, binding);
    const pieces = splitPieces(bytes);
    expect(pieces.length).toBeGreaterThan(4);
    for (const p of pieces.slice(1)) expect(p.length).toBeLessThanOrEqual(4 + FRAME_PLAINTEXT_BYTES + 16);
    const odd = Array.from({ length: Math.ceil(bytes.length / 777) }, (_, i) => bytes.subarray(i * 777, (i + 1) * 777));
    const out: unknown[] = [];
    for await (const r of decryptRecords(odd, privateJwk, binding)) out.push(r);
    expect(out).toEqual(records);
  });

  it('a result exactly filling its frames still ends with a (empty) final frame', async () => {
    const enc = await ResultEncryptor.create(publicJwk, binding, { frameBytes: 10 });
    const frames = [...enc.push(Buffer.from('{"a":"12"}')), ...enc.push(Buffer.from('\n')), enc.finish()];
    expect(frames).toHaveLength(2);
    const dec = new ResultDecryptor(privateJwk, binding);
    const out = [...(await dec.push(enc.header)), ...(await dec.push(Buffer.concat(frames)))];
    dec.end();
    expect(Buffer.concat(out).toString()).toBe('{"a":"12"}\n');
  });

  it('encrypting twice gives different ciphertexts (fresh ephemeral key and content key)', async () => {
    const a = await encryptResult(vector.records, publicJwk, binding);
    const b = await encryptResult(vector.records, publicJwk, binding);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });

  it('refuses to encrypt to a private key', async () => {
    await expect(encryptResult([], privateJwk, binding)).rejects.toThrow(/public key/);
  });

  it('streams: the first records come out before the whole result is read', async () => {
    const gen = encryptRecords((function* () { for (let n = 0; ; n++) yield { n, pad: 'x'.repeat(1000) }; })(), publicJwk, binding);
    const dec = new ResultDecryptor(privateJwk, binding);
    let frames = 0;
    for await (const piece of gen) {
      frames += (await dec.push(piece)).length;
      if (frames >= 3) break;
    }
    expect(frames).toBe(3);
  });
});

describe('each tampering is detected, naming the failed check', () => {
  const records = Array.from({ length: 400 }, (_, n) => ({ n, text: '李某'.repeat(100) }));
  async function pieces(b = binding) {
    return splitPieces(await encryptResult(records, publicJwk, b));
  }
  const read = (bytes: Uint8Array, key: JWK = privateJwk, b = binding) => checkOf(decryptResult(bytes, key, b));

  it('intact: ok', async () => {
    expect(await read(Buffer.concat(await pieces()))).toBe('ok');
  });
  it('a flipped bit in a frame', async () => {
    const bytes = Buffer.concat(await pieces());
    bytes[bytes.length - 100]! ^= 0x01;
    expect(await read(bytes)).toBe('frame-authentication');
  });
  it('a flipped bit in the header', async () => {
    const bytes = Buffer.concat(await pieces());
    bytes[50]! ^= 0x01;
    expect(await read(bytes)).toMatch(/^header/);
  });
  it('a dropped frame', async () => {
    const p = await pieces();
    expect(await read(Buffer.concat([...p.slice(0, 2), ...p.slice(3)]))).toBe('frame-authentication');
  });
  it('the final frame dropped (truncated at a frame boundary)', async () => {
    const p = await pieces();
    expect(await read(Buffer.concat(p.slice(0, -1)))).toBe('truncated');
  });
  it('truncated inside a frame', async () => {
    const bytes = Buffer.concat(await pieces());
    expect(await read(bytes.subarray(0, bytes.length - 10))).toBe('truncated');
  });
  it('two frames swapped', async () => {
    const p = await pieces();
    expect(await read(Buffer.concat([p[0]!, p[2]!, p[1]!, ...p.slice(3)]))).toBe('frame-authentication');
  });
  it('extended after the final frame', async () => {
    const p = await pieces();
    expect(await read(Buffer.concat([...p, p[1]!]))).toBe('extended');
  });
  it('a frame spliced in from another result to the same unit', async () => {
    const [p, q] = [await pieces(), await pieces()];
    expect(await read(Buffer.concat([p[0]!, p[1]!, q[2]!, ...p.slice(3)]))).toBe('frame-authentication');
  });
  it("another result's header and frames presented as this warrant's answer", async () => {
    const other = await pieces({ ...binding, warrantId: 'another-warrant' });
    expect(await read(Buffer.concat(other))).toBe('frame-authentication');
  });
  it('the answer of another department presented as this one', async () => {
    const other = await pieces({ ...binding, department: 'natural_resources' });
    expect(await read(Buffer.concat(other))).toBe('frame-authentication');
  });
  it('a key other than the recipient unit', async () => {
    const { privateKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-256', extractable: true });
    expect(await read(Buffer.concat(await pieces()), await exportJWK(privateKey))).toBe('header-decryption');
  });
  it('a few stray bytes after the final frame', async () => {
    const p = await pieces();
    expect(await read(Buffer.concat([...p, Buffer.from([0, 0])]))).toBe('extended');
  });
  it('plaintext that is not NDJSON objects, or stops mid-line, even when correctly encrypted', async () => {
    const encrypt = async (text: string) => {
      const enc = await ResultEncryptor.create(publicJwk, binding);
      return Buffer.concat([enc.header, ...enc.push(Buffer.from(text)), enc.finish()]);
    };
    expect(await read(await encrypt('[1]\n'))).toBe('ndjson');
    expect(await read(await encrypt('{"a":1}'))).toBe('ndjson');
    expect(await read(Buffer.concat([await encrypt('')]))).toBe('ok');
  });
  it('a frame claiming more than the format allows', async () => {
    const p = await pieces();
    const big = Buffer.from(p[1]!);
    big.writeUInt32BE(FRAME_PLAINTEXT_BYTES + 17);
    expect(await read(Buffer.concat([p[0]!, big]))).toBe('frame-size');
  });
});
