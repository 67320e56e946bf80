import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import type { CreateSha256 } from '../hash';
import type { CreateFrameCipher, EnvelopeOptions } from '../result-envelope';

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

/** The envelope options of a Node process: node:crypto's frame cipher, one frame at a time (it is synchronous). */
export const NODE_ENVELOPE: EnvelopeOptions = { createFrameCipher: nodeFrameCipher, framesInFlight: 0 };
