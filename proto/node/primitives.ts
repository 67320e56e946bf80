import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, randomBytes, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { CreateSha256 } from '../hash';
import { newP256Agreement } from './keys';
import { RESULT_ALG, RESULT_ENC, type CreateFrameCipher, type EnvelopeOptions, type FrameCodec, type HeaderKeyAgreement } from '../result-envelope';

/**
 * The contract's two bulk primitives on node:crypto, for the Node processes that move whole
 * results: a department's adapter (seals every frame, digests the ciphertext) and the command
 * line (opens every frame, checks the digest). The formats themselves stay on WebCrypto and
 * @noble/hashes so they run in a browser; these give the same bytes, faster where Node is
 * available: node:crypto's AES-GCM runs on the calling thread without WebCrypto's copies and
 * thread hop, and its SHA-256 is native (README, "Performance"). The only Node-only part of the
 * contract besides proto/grpc/; tests check that both give identical bytes.
 */

const TAG_BYTES = 16;

export const nodeFrameCipher: CreateFrameCipher = async (frameKey) => {
  const key = Buffer.from(frameKey); // the caller zeroes its copy; this one lives as long as the cipher
  return {
    seal(nonce, aad, plaintext) {
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      cipher.setAAD(aad);
      return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    },
    open(nonce, aad, body) {
      if (body.length < TAG_BYTES) return null;
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAAD(aad);
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      const plaintext = decipher.update(body.subarray(0, body.length - TAG_BYTES));
      try {
        decipher.final();
      } catch {
        return null;
      }
      return plaintext;
    },
  };
};

export const nodeSha256: CreateSha256 = () => createHash('sha256');

/** zlib level 1: the bank's NDJSON deflates about 9-fold at about 220 MiB per CPU second (bench/compress.ts); higher levels gain little and cost several times more. */
const DEFLATE = { level: 1, strategy: constants.Z_DEFAULT_STRATEGY };

function inflateBounded(body: Uint8Array, maxBytes: number): Uint8Array | null {
  try {
    // zlib stops, and throws, once the output would pass maxOutputLength: a bomb never grows past it.
    return inflateRawSync(body, { maxOutputLength: maxBytes });
  } catch {
    return null;
  }
}

/** v2's raw DEFLATE on node:zlib, on the calling thread. */
export const nodeFrameCodec: FrameCodec = {
  deflate: (plaintext) => deflateRawSync(plaintext, DEFLATE),
  inflate: inflateBounded,
};

/**
 * The header's JWE (RFC 7516 compact, ECDH-ES+A256KW on P-256 and A256GCM, RFC 7518 §4.6 and
 * §5.3) on node:crypto: what jose does on WebCrypto, at about a fifth of its CPU (an ephemeral key
 * pair, one ECDH, Concat KDF, AES key wrap and one GCM call, all on the calling thread; jose
 * measured ~1.1 ms a header each way on these machines, this ~0.2). Only what the result format
 * uses is accepted: those two algorithms, a P-256 `epk`, no `zip`, no `crit`; `apu`/`apv` are
 * read if a writer set them (jose sets neither). Tests check both ways against jose and the
 * format's vectors.
 */
export function nodeHeaderKey(): HeaderKeyAgreement {
  /** Recipient keys as uncompressed points (0x04, x, y), checked once to be points of P-256. */
  const publicPoints = new Map<string, Buffer>();
  const privateKeys = new WeakMap<JWK, { members: string; key: KeyObject }>();
  const publicPointOf = (jwk: JWK): Buffer => {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new Error(`the result key must be an EC P-256 key, not ${jwk.kty} ${jwk.crv ?? ''}`.trim());
    const id = `${jwk.x}\0${jwk.y}`;
    let point = publicPoints.get(id);
    if (!point) {
      // SubjectPublicKeyInfo of a P-256 key ends with its 65-byte uncompressed point.
      point = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! }, format: 'jwk' }).export({ type: 'spki', format: 'der' }).subarray(-65);
      if (publicPoints.size >= 256) publicPoints.delete(publicPoints.keys().next().value!);
      publicPoints.set(id, point);
    }
    return point;
  };
  const privateKeyOf = (jwk: JWK): KeyObject => {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || !jwk.d) throw new Error('the unit key must be a private EC P-256 key');
    const members = `${jwk.x}\0${jwk.y}\0${jwk.d}`;
    const kept = privateKeys.get(jwk);
    if (kept && kept.members === members) return kept.key;
    const key = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, d: jwk.d }, format: 'jwk' });
    privateKeys.set(jwk, { members, key });
    return key;
  };
  return {
    seal(frameKey, recipientPublicJwk, header) {
      const recipient = publicPointOf(recipientPublicJwk);
      // The ephemeral key through ECDH, not generateKeyPairSync and an export (keys.ts: that can deadlock on Node 20).
      const ephemeral = newP256Agreement();
      const epk = { kty: 'EC', crv: 'P-256', x: b64u(ephemeral.point.subarray(1, 33)), y: b64u(ephemeral.point.subarray(33)) };
      const protectedHeader = b64u(Buffer.from(JSON.stringify({ ...header, epk })));
      const kek = concatKdf(ephemeral.ecdh.computeSecret(recipient), header.alg, EMPTY, EMPTY);
      const cek = randomBytes(32);
      try {
        const wrapped = keyWrap(kek, cek);
        const iv = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', cek, iv);
        cipher.setAAD(Buffer.from(protectedHeader, 'ascii'));
        const ciphertext = Buffer.concat([cipher.update(frameKey), cipher.final()]);
        return [protectedHeader, b64u(wrapped), b64u(iv), b64u(ciphertext), b64u(cipher.getAuthTag())].join('.');
      } finally {
        cek.fill(0);
        kek.fill(0);
      }
    },
    open(jwe, privateJwk) {
      const parts = jwe.split('.');
      if (parts.length !== 5) throw new Error('the header is not a compact JWE (five parts)');
      const [protectedHeader, wrapped, iv, ciphertext, tag] = parts as [string, string, string, string, string];
      let header: Record<string, unknown>;
      try {
        header = JSON.parse(fromB64u(protectedHeader).toString('utf8')) as Record<string, unknown>;
      } catch {
        throw new Error('the JWE protected header is not JSON');
      }
      if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new Error('the JWE protected header is not a JSON object');
      if (header.alg !== RESULT_ALG || header.enc !== RESULT_ENC) throw new Error(`the JWE must use alg ${RESULT_ALG} and enc ${RESULT_ENC}`);
      if ('zip' in header || 'crit' in header) throw new Error('the JWE names zip or crit, which the result format does not use');
      const epk = header.epk as JWK | undefined;
      if (!epk || typeof epk !== 'object' || epk.kty !== 'EC' || epk.crv !== 'P-256' || typeof epk.x !== 'string' || typeof epk.y !== 'string') throw new Error('the JWE epk is not an EC P-256 public key');
      let ephemeral: KeyObject;
      try {
        ephemeral = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: epk.x, y: epk.y }, format: 'jwk' });
      } catch {
        throw new Error('the JWE epk is not a point of P-256');
      }
      const party = (name: 'apu' | 'apv') => {
        const v = header[name];
        if (v === undefined) return EMPTY;
        if (typeof v !== 'string') throw new Error(`the JWE ${name} is not a string`);
        return fromB64u(v);
      };
      const kek = concatKdf(diffieHellman({ privateKey: privateKeyOf(privateJwk), publicKey: ephemeral }), RESULT_ALG, party('apu'), party('apv'));
      let cek: Buffer;
      try {
        cek = keyUnwrap(kek, fromB64u(wrapped));
      } finally {
        kek.fill(0);
      }
      try {
        const ivBytes = fromB64u(iv);
        const tagBytes = fromB64u(tag);
        if (ivBytes.length !== 12 || tagBytes.length !== 16) throw new Error('the JWE iv or tag has the wrong length');
        const decipher = createDecipheriv('aes-256-gcm', cek, ivBytes);
        decipher.setAAD(Buffer.from(protectedHeader, 'ascii'));
        decipher.setAuthTag(tagBytes);
        return new Uint8Array(Buffer.concat([decipher.update(fromB64u(ciphertext)), decipher.final()]));
      } catch (error) {
        throw new Error(error instanceof Error && error.message.startsWith('the JWE') ? error.message : 'decryption operation failed');
      } finally {
        cek.fill(0);
      }
    },
  };
}

const EMPTY = Buffer.alloc(0);
const B64U = /^[A-Za-z0-9_-]*$/;
const b64u = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
function fromB64u(text: string): Buffer {
  if (!B64U.test(text)) throw new Error('the JWE has a part that is not base64url');
  return Buffer.from(text, 'base64url');
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/** RFC 7518 §4.6.2: the Concat KDF (NIST SP 800-56A) with SHA-256, for a 256-bit key-encryption key. */
function concatKdf(z: Buffer, alg: string, apu: Buffer, apv: Buffer): Buffer {
  const algorithmId = Buffer.from(alg, 'ascii');
  const kek = createHash('sha256')
    .update(u32(1))
    .update(z)
    .update(u32(algorithmId.length))
    .update(algorithmId)
    .update(u32(apu.length))
    .update(apu)
    .update(u32(apv.length))
    .update(apv)
    .update(u32(256))
    .digest();
  z.fill(0);
  return kek;
}

/** RFC 3394 AES key wrap with its default initial value (OpenSSL's id-aes256-wrap). */
const KW_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');
function keyWrap(kek: Buffer, key: Buffer): Buffer {
  const c = createCipheriv('id-aes256-wrap', kek, KW_IV);
  return Buffer.concat([c.update(key), c.final()]);
}
function keyUnwrap(kek: Buffer, wrapped: Buffer): Buffer {
  if (wrapped.length !== 40) throw new Error('the JWE encrypted key is not a wrapped 256-bit key');
  try {
    const d = createDecipheriv('id-aes256-wrap', kek, KW_IV);
    return Buffer.concat([d.update(wrapped), d.final()]);
  } catch {
    throw new Error('decryption operation failed');
  }
}

/**
 * The envelope options of a Node process: node:crypto's frame cipher and node:zlib, one frame at a
 * time (both synchronous). Deflating on libuv's pool instead (zlib's async calls, frames in flight)
 * took the compression off an adapter's main thread but grew the heap of the ~285 MiB test's
 * pipeline by 34 MiB against 1 when measured (bench scratch run: 400 000 transactions in one
 * process), so adapters deflate on their own thread too.
 */
export const NODE_ENVELOPE: EnvelopeOptions = { createFrameCipher: nodeFrameCipher, codec: nodeFrameCodec, framesInFlight: 0, headerKey: nodeHeaderKey() };

