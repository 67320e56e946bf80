import { compactDecrypt, importJWK, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { concatBytes, decodeBase64, decodeBase64url, decodeHex, decodeUtf8, encodeU32, encodeUtf8, equalBytes } from './bytes';
import {
  NdjsonLines,
  createDecryptionStream,
  decryptRecords,
  decryptResult,
  encryptRecords,
  encryptResult,
  FRAME_PLAINTEXT_BYTES,
  fflateCodec,
  importedResultKeyCount,
  RESULT_ALG,
  MAX_COMPRESSED_FRAME_BYTES,
  RESULT_FORMAT,
  RESULT_FORMAT_V1,
  ResultDecryptor,
  ResultEncryptor,
  ResultEnvelopeError,
  splitPieces,
} from './result-envelope';
import { deflateRawSync } from 'node:zlib';
import { nodeFrameCodec } from './node/primitives';
import vector from './vectors/result-v2.json';
import vectorV2 from './vectors/result-stream-v2.json';
import { jwkPair, newP256PrivateKey } from './node/keys';

const privateJwk = vector.privateJwk as JWK;
const publicJwk = vector.publicJwk as JWK;
const binding = vector.binding;
const stored = decodeBase64(vector.result);

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
    expect(vector.format).toBe(RESULT_FORMAT_V1);
    expect(await decryptResult(stored, privateJwk, binding, { format: RESULT_FORMAT_V1 })).toEqual(vector.records);
  });

  it('can be decrypted step by step with the documented intermediate values (what another library does)', async () => {
    const pieces = splitPieces(stored);
    expect(decodeUtf8(pieces[0]!.subarray(4))).toBe(vector.headerJwe);
    const header = JSON.parse(decodeUtf8(decodeBase64url(vector.headerJwe.split('.')[0]!)));
    expect(header).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'application/qiao-frame-key', kid: publicJwk.kid });
    // Plain AES-256-GCM with the documented key, nonce and AAD; the tag is the frame's last 16 bytes.
    const key = await crypto.subtle.importKey('raw', decodeHex(vector.contentKeyHex), 'AES-GCM', false, ['decrypt']);
    const plaintext: Uint8Array[] = [];
    for (const [i, frame] of pieces.slice(1).entries()) {
      const body = frame.subarray(4);
      expect(body.length).toBe(vector.frames[i]!.length);
      const iv = decodeHex(vector.frames[i]!.nonceHex);
      plaintext.push(new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData: decodeHex(vector.aadHex) }, key, body)));
    }
    expect(decodeUtf8(concatBytes(plaintext))).toBe(vector.plaintext);
  });
});

describe('qiao-stream-v2: frames deflated before they are encrypted', () => {
  const storedV2 = decodeBase64(vectorV2.result);

  it('the vector (deflated with node:zlib) reads with fflate and with node:zlib', async () => {
    expect(vectorV2.format).toBe(RESULT_FORMAT);
    expect(await decryptResult(storedV2, privateJwk, vectorV2.binding)).toEqual(vectorV2.records);
    expect(await decryptResult(storedV2, privateJwk, vectorV2.binding, { codec: nodeFrameCodec })).toEqual(vectorV2.records);
  });

  it('step by step: each frame decrypts to the documented raw DEFLATE, which inflates to the next bytes of the plaintext', async () => {
    const key = await crypto.subtle.importKey('raw', decodeHex(vectorV2.contentKeyHex), 'AES-GCM', false, ['decrypt']);
    const plain: Uint8Array[] = [];
    for (const [i, frame] of splitPieces(storedV2).slice(1).entries()) {
      const expected = vectorV2.frames[i]!;
      const deflated = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: decodeHex(expected.nonceHex), additionalData: decodeHex(vectorV2.aadHex) }, key, frame.subarray(4)));
      expect(Buffer.from(deflated).toString('hex')).toBe(expected.deflatedHex);
      const inflated = fflateCodec.inflate(deflated, FRAME_PLAINTEXT_BYTES) as Uint8Array;
      expect(inflated.length).toBe(expected.plainLength);
      plain.push(inflated);
    }
    expect(decodeUtf8(concatBytes(plain))).toBe(vectorV2.plaintext);
  });

  it('compresses: the same records take a fraction of the v1 bytes, and v1 is still written on request', async () => {
    const records = Array.from({ length: 2000 }, (_, i) => ({ category: 'bank_transactions', subject: '93150627MA0N2K7P26', n: i, memo: '草原生态保护补助奖励' }));
    const v2 = await encryptResult(records, publicJwk, binding);
    const v1 = await encryptResult(records, publicJwk, binding, { format: RESULT_FORMAT_V1 });
    expect(v2.length * 5).toBeLessThan(v1.length);
    expect(await decryptResult(v2, privateJwk, binding)).toEqual(records);
    expect(await decryptResult(v1, privateJwk, binding, { format: RESULT_FORMAT_V1 })).toEqual(records);
  });

  it('plaintext that does not compress still fits a frame', async () => {
    const noise = crypto.getRandomValues(new Uint8Array(FRAME_PLAINTEXT_BYTES));
    for (const codec of [fflateCodec, nodeFrameCodec]) {
      const enc = await ResultEncryptor.create(publicJwk, binding, { codec });
      const pieces = [enc.header, ...(await enc.push(noise)), ...(await enc.push(noise)), ...(await enc.finish())];
      for (const frame of splitPieces(concatBytes(pieces)).slice(1)) expect(frame.length - 4).toBeLessThanOrEqual(MAX_COMPRESSED_FRAME_BYTES + 16);
      const dec = new ResultDecryptor(privateJwk, binding, { codec });
      const out = concatBytes([...(await dec.push(concatBytes(pieces))), ...(await dec.finish())]);
      expect(equalBytes(out, concatBytes([noise, noise]))).toBe(true);
    }
  });

  /** A result whose frames the writer "compressed" with `deflate`: an authentic frame of the writer's choosing. */
  async function resultWithFrame(deflate: () => Uint8Array): Promise<Uint8Array> {
    const enc = await ResultEncryptor.create(publicJwk, binding, { codec: { deflate, inflate: () => null } });
    return concatBytes([enc.header, ...(await enc.push(encodeUtf8('{"a":1}\n'))), ...(await enc.finish())]);
  }

  it('a frame that would inflate past 64 KiB (a decompression bomb) fails the decompression check, with either codec', async () => {
    // 1 GiB of zeros deflates to about 1 MiB: too big for a frame. 64 MiB deflates to 64 KiB, which fits.
    const bomb = deflateRawSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThanOrEqual(MAX_COMPRESSED_FRAME_BYTES);
    const justOver = deflateRawSync(Buffer.alloc(FRAME_PLAINTEXT_BYTES + 1));
    const exactly = deflateRawSync(Buffer.from('{}\n'.repeat(FRAME_PLAINTEXT_BYTES / 3) + '{}\n'.slice(0, FRAME_PLAINTEXT_BYTES % 3)));
    for (const codec of [fflateCodec, nodeFrameCodec]) {
      for (const frame of [bomb, justOver]) {
        const dec = new ResultDecryptor(privateJwk, binding, { codec });
        const err = await dec.push(await resultWithFrame(() => frame)).then(() => dec.finish()).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ResultEnvelopeError);
        expect((err as ResultEnvelopeError).check).toBe('decompression');
      }
      const dec = new ResultDecryptor(privateJwk, binding, { codec });
      const out = [...(await dec.push(await resultWithFrame(() => exactly))), ...(await dec.finish())];
      expect(out.map((p) => p.length)).toEqual([FRAME_PLAINTEXT_BYTES]);
    }
  });

  it('a frame that is not raw DEFLATE, or a v1 result read as v2, fails the decompression check', async () => {
    for (const codec of [fflateCodec, nodeFrameCodec]) {
      const garbage = new ResultDecryptor(privateJwk, binding, { codec });
      await expect(checkOf(garbage.push(await resultWithFrame(() => Uint8Array.of(0xff, 0xff, 0xff)))).then(async (c) => (c === 'ok' ? checkOf(garbage.finish()) : c))).resolves.toBe('decompression');
      await expect(checkOf(decryptResult(stored, privateJwk, binding, { codec }))).resolves.toBe('decompression');
    }
  });

  it('an unknown format is refused before anything is read', () => {
    expect(() => new ResultDecryptor(privateJwk, binding, { format: 'qiao-stream-v9' as never })).toThrow(/format check failed: result format qiao-stream-v9/);
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
    const frames = [...(await enc.push(encodeUtf8('{"a":"12"}'))), ...(await enc.push(encodeUtf8('\n'))), ...(await enc.finish())];
    expect(frames).toHaveLength(2);
    const dec = new ResultDecryptor(privateJwk, binding);
    const out = [...(await dec.push(enc.header)), ...(await dec.push(concatBytes(frames))), ...(await dec.finish())];
    expect(decodeUtf8(concatBytes(out))).toBe('{"a":"12"}\n');
  });

  it('encrypting twice gives different ciphertexts (fresh ephemeral key and content key)', async () => {
    const a = await encryptResult(vector.records, publicJwk, binding);
    const b = await encryptResult(vector.records, publicJwk, binding);
    expect(equalBytes(a, b)).toBe(false);
  });

  it('imports a key once: results to and from the same unit key reuse it, another key is imported anew', async () => {
    const { publicJwk: otherPublic, privateJwk: otherPrivate } = jwkPair(newP256PrivateKey());
    const before = importedResultKeyCount();
    for (let i = 0; i < 3; i++) {
      // Fresh copies each time, as a command line reads its key file: found by the key, not the object.
      const sealed = await encryptResult(vector.records, { ...otherPublic }, binding);
      expect(await decryptResult(sealed, { ...otherPrivate }, binding)).toEqual(vector.records);
    }
    expect(importedResultKeyCount() - before).toBe(2); // the public key and the private one
    // A private JWK under the same public members but another d is not served the kept key.
    const wrong = { ...otherPrivate, d: privateJwk.d };
    await expect(decryptResult(await encryptResult(vector.records, otherPublic, binding), wrong, binding)).rejects.toThrow();
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

describe('the encryptor writes the documented format', () => {
  it('a fresh v1 result opens with only the header JWE and the documented nonce and AAD (no code of this module)', async () => {
    const bytes = await encryptResult(vector.records, publicJwk, binding, { format: RESULT_FORMAT_V1 });
    const [head, ...frames] = splitPieces(bytes);
    const jwe = decodeUtf8(head!.subarray(4));
    const { plaintext: contentKey } = await compactDecrypt(jwe, await importJWK(privateJwk, 'ECDH-ES+A256KW'));
    const key = await crypto.subtle.importKey('raw', contentKey, 'AES-GCM', false, ['decrypt']);
    const field = (text: string) => {
      const b = encodeUtf8(text);
      return concatBytes([Uint8Array.of(b.length >> 8, b.length & 0xff), b]);
    };
    const additionalData = concatBytes([new Uint8Array(await crypto.subtle.digest('SHA-256', encodeUtf8(jwe))), field(binding.warrantId), field(binding.department)]);
    const plaintext: Uint8Array[] = [];
    for (const [i, frame] of frames.entries()) {
      const iv = new Uint8Array(12);
      new DataView(iv.buffer).setBigUint64(3, BigInt(i));
      iv[11] = i === frames.length - 1 ? 1 : 0;
      plaintext.push(new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv, additionalData }, key, frame.subarray(4))));
    }
    expect(decodeUtf8(concatBytes(plaintext))).toBe(vector.plaintext);
  });
});

describe('frames in flight', () => {
  it('the encryptor holds at most framesInFlight frames back, and hands them all out in order', async () => {
    const enc = await ResultEncryptor.create(publicJwk, binding, { frameBytes: 100, framesInFlight: 3 });
    const data = Uint8Array.from({ length: 2000 }, (_, i) => i % 251);
    // 20 frames of data: 19 sealed (the 20th waits for more or for finish), of which 3 may still be sealing.
    const early = await enc.push(data);
    expect(early).toHaveLength(16);
    const rest = await enc.finish();
    expect(rest).toHaveLength(4);
    const dec = new ResultDecryptor(privateJwk, binding, { framesInFlight: 2 });
    const opened = await dec.push(concatBytes([enc.header, ...early, ...rest]));
    expect(opened).toHaveLength(18); // 20 frames, 2 still opening
    expect(dec.frames).toBe(18);
    const out = concatBytes([...opened, ...(await dec.finish())]);
    expect(equalBytes(out, data)).toBe(true);
  });

  it('one frame at a time gives the same plaintext as several in flight', async () => {
    const records = Array.from({ length: 500 }, (_, n) => ({ n, text: '伊金霍洛旗'.repeat(40) }));
    const bytes = await encryptResult(records, publicJwk, binding);
    for (const framesInFlight of [0, 1, 4, 16]) {
      const dec = new ResultDecryptor(privateJwk, binding, { framesInFlight });
      const out: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; at += 5000) out.push(...(await dec.push(bytes.subarray(at, at + 5000))));
      out.push(...(await dec.finish()));
      expect(decodeUtf8(concatBytes(out))).toBe(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    }
  });

  it('reads chunks in place but keeps nothing of them: a caller that reuses its buffer after each push changes nothing', async () => {
    const records = Array.from({ length: 400 }, (_, n) => ({ n, text: '达拉特旗'.repeat(50) }));
    const bytes = await encryptResult(records, publicJwk, binding);
    for (const framesInFlight of [0, 4]) {
      const dec = new ResultDecryptor(privateJwk, binding, { framesInFlight });
      const reused = new Uint8Array(100_000); // one buffer for every read, as a socket reader may do
      const out: Uint8Array[] = [];
      for (let at = 0; at < bytes.length; at += reused.length) {
        const n = Math.min(reused.length, bytes.length - at);
        reused.set(bytes.subarray(at, at + n));
        out.push(...(await dec.push(reused.subarray(0, n))));
        reused.fill(0xff); // overwritten before the frames held back have opened
      }
      out.push(...(await dec.finish()));
      expect(decodeUtf8(concatBytes(out))).toBe(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    }
  });

  it('refuses a second call before the first settled, and a decryptor that failed stays failed', async () => {
    const enc = await ResultEncryptor.create(publicJwk, binding);
    const first = enc.push(new Uint8Array(FRAME_PLAINTEXT_BYTES * 10)); // more than fits in flight: it must wait
    await expect(enc.push(new Uint8Array(1))).rejects.toThrow(/before the previous call settled/);
    await first;
    const bytes = await encryptResult(vector.records, publicJwk, binding);
    const dec = new ResultDecryptor(privateJwk, binding);
    const bad = Uint8Array.from(bytes);
    bad[bad.length - 3]! ^= 1;
    await dec.push(bad);
    await expect(dec.finish()).rejects.toThrow(/frame-authentication check failed/);
    await expect(dec.finish()).rejects.toThrow(/frame-authentication check failed/);
  });
});

describe('as a WHATWG stream (the browser console reads downloads this way)', () => {
  const streamOf = (bytes: Uint8Array, size: number) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += size) controller.enqueue(bytes.slice(at, at + size));
        controller.close();
      },
    });
  async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const part of stream) parts.push(part);
    return concatBytes(parts);
  }

  it('pipes the vector through to its NDJSON plaintext', async () => {
    expect(decodeUtf8(await readAll(streamOf(stored, 100).pipeThrough(createDecryptionStream(privateJwk, binding, { format: RESULT_FORMAT_V1 }))))).toBe(vector.plaintext);
  });

  it('errors the stream, naming the check, when the result was cut short', async () => {
    const cut = streamOf(stored.subarray(0, stored.length - 30), 100).pipeThrough(createDecryptionStream(privateJwk, binding, { format: RESULT_FORMAT_V1 }));
    await expect(readAll(cut)).rejects.toThrow(/^truncated check failed/);
  });
});

describe('each tampering is detected, naming the failed check', () => {
  const records = Array.from({ length: 400 }, (_, n) => ({ n, text: '李某'.repeat(100) }));
  async function pieces(b = binding) {
    return splitPieces(await encryptResult(records, publicJwk, b));
  }
  const read = (bytes: Uint8Array, key: JWK = privateJwk, b = binding) => checkOf(decryptResult(bytes, key, b));

  it('intact: ok', async () => {
    expect(await read(concatBytes(await pieces()))).toBe('ok');
  });
  it('a flipped bit in a frame', async () => {
    const bytes = concatBytes(await pieces());
    bytes[bytes.length - 100]! ^= 0x01;
    expect(await read(bytes)).toBe('frame-authentication');
  });
  it('a flipped bit in the header', async () => {
    const bytes = concatBytes(await pieces());
    bytes[50]! ^= 0x01;
    expect(await read(bytes)).toMatch(/^header/);
  });
  it('a dropped frame', async () => {
    const p = await pieces();
    expect(await read(concatBytes([...p.slice(0, 2), ...p.slice(3)]))).toBe('frame-authentication');
  });
  it('the final frame dropped (truncated at a frame boundary)', async () => {
    const p = await pieces();
    expect(await read(concatBytes(p.slice(0, -1)))).toBe('truncated');
  });
  it('truncated inside a frame', async () => {
    const bytes = concatBytes(await pieces());
    expect(await read(bytes.subarray(0, bytes.length - 10))).toBe('truncated');
  });
  it('two frames swapped', async () => {
    const p = await pieces();
    expect(await read(concatBytes([p[0]!, p[2]!, p[1]!, ...p.slice(3)]))).toBe('frame-authentication');
  });
  it('extended after the final frame', async () => {
    const p = await pieces();
    expect(await read(concatBytes([...p, p[1]!]))).toBe('extended');
  });
  it('a frame spliced in from another result to the same unit', async () => {
    const [p, q] = [await pieces(), await pieces()];
    expect(await read(concatBytes([p[0]!, p[1]!, q[2]!, ...p.slice(3)]))).toBe('frame-authentication');
  });
  it("another result's header and frames presented as this warrant's answer", async () => {
    const other = await pieces({ ...binding, warrantId: 'another-warrant' });
    expect(await read(concatBytes(other))).toBe('frame-authentication');
  });
  it('the answer of another department presented as this one', async () => {
    const other = await pieces({ ...binding, department: 'natural_resources' });
    expect(await read(concatBytes(other))).toBe('frame-authentication');
  });
  it('a key other than the recipient unit', async () => {
    expect(await read(concatBytes(await pieces()), jwkPair(newP256PrivateKey()).privateJwk)).toBe('header-decryption');
  });
  it('a few stray bytes after the final frame', async () => {
    const p = await pieces();
    expect(await read(concatBytes([...p, Uint8Array.of(0, 0)]))).toBe('extended');
  });
  it('plaintext that is not NDJSON objects, or stops mid-line, even when correctly encrypted', async () => {
    const encrypt = async (text: string) => {
      const enc = await ResultEncryptor.create(publicJwk, binding);
      return concatBytes([enc.header, ...(await enc.push(encodeUtf8(text))), ...(await enc.finish())]);
    };
    expect(await read(await encrypt('[1]\n'))).toBe('ndjson');
    expect(await read(await encrypt('{"a":1}'))).toBe('ndjson');
    expect(await read(concatBytes([await encrypt('')]))).toBe('ok');
  });
  it('a frame claiming more than the format allows', async () => {
    const p = await pieces();
    const big = concatBytes([encodeU32(MAX_COMPRESSED_FRAME_BYTES + 17), p[1]!.subarray(4)]);
    expect(await read(concatBytes([p[0]!, big]))).toBe('frame-size');
    // v1 frames hold at most 64 KiB of plaintext.
    const v1 = splitPieces(await encryptResult(vector.records, publicJwk, binding, { format: RESULT_FORMAT_V1 }));
    const bigV1 = concatBytes([encodeU32(FRAME_PLAINTEXT_BYTES + 17), v1[1]!.subarray(4)]);
    expect(await checkOf(decryptResult(concatBytes([v1[0]!, bigV1]), privateJwk, binding, { format: RESULT_FORMAT_V1 }))).toBe('frame-size');
  });
});

describe('NdjsonLines', () => {
  const bytes = (text: string) => encodeUtf8(text);
  const text = (runs: Uint8Array[]) => runs.map(decodeUtf8).join('');

  it('hands out whole lines unchanged, however the plaintext is cut, and counts them', () => {
    const plaintext = '{"category":"a","memo":"木呼敦包村 {\\"x\\"}"}\n{"category":"b","n":1.50}\n{"category":"c"}\n';
    const all = bytes(plaintext);
    for (const cut of [1, 3, 7, 20, all.length]) {
      const lines = new NdjsonLines();
      const out: Uint8Array[] = [];
      for (let at = 0; at < all.length; at += cut) out.push(...lines.push(all.subarray(at, at + cut)));
      lines.end();
      expect(text(out)).toBe(plaintext);
      expect(lines.records).toBe(3);
      for (const run of out) expect(decodeUtf8(run).endsWith('\n')).toBe(true);
    }
  });

  it('refuses a line that is not framed as an object, text that is not UTF-8, and a plaintext without its last newline', () => {
    expect(() => new NdjsonLines().push(bytes('{"a":1}\n[1,2]\n'))).toThrow(/ndjson check failed: line 2 is not a JSON object/);
    expect(() => new NdjsonLines().push(bytes('\n'))).toThrow(/line 1 is not a JSON object/);
    expect(() => new NdjsonLines().push(concatBytes([bytes('{"a":"'), new Uint8Array([0xff]), bytes('"}\n')]))).toThrow(/not UTF-8/);
    const open = new NdjsonLines();
    open.push(bytes('{"a":1}\n{"b":'));
    expect(() => open.end()).toThrow(/does not end with a newline/);
  });
});
