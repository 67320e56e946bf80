import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { constants, deflateRawSync, inflateRawSync } from 'node:zlib';
import type { CreateSha256 } from '../hash';
import type { CreateFrameCipher, EnvelopeOptions, FrameCodec } from '../result-envelope';

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
 * The envelope options of a Node process: node:crypto's frame cipher and node:zlib, one frame at a
 * time (both synchronous). Deflating on libuv's pool instead (zlib's async calls, frames in flight)
 * took the compression off an adapter's main thread but grew the heap of the ~285 MiB test's
 * pipeline by 34 MiB against 1 when measured (bench scratch run: 400 000 transactions in one
 * process), so adapters deflate on their own thread too.
 */
export const NODE_ENVELOPE: EnvelopeOptions = { createFrameCipher: nodeFrameCipher, codec: nodeFrameCodec, framesInFlight: 0 };

