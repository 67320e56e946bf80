import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/**
 * SHA-256 for the contract, on @noble/hashes (audited, pure JavaScript, runs everywhere), not
 * WebCrypto: `crypto.subtle.digest` is asynchronous only, has no incremental form, and costs
 * 14–30 µs a call against ~2 µs here (node:crypto: ~1.5–2 µs) for the 65 bytes of a Merkle node
 * (`npm run bench`) — a million-entry audit log verification would spend most of a minute
 * waiting on promises. So Merkle hashing, leaf hashes, note key ids and the AAD's header digest
 * use `sha256()` below, synchronously.
 *
 * Pure JavaScript is about ten times slower on bulk data (~100–200 MiB/s against node:crypto's
 * 1–2 GiB/s on 64 KiB chunks), which matters only for the one large digest: the receipt's
 * SHA-256 of a whole result ciphertext (up to ~1 GiB). Code that computes it takes a
 * `CreateSha256` so a Node caller can pass node:crypto's (`() => createHash('sha256')` fits the
 * interface as it is); the browser keeps the default `createSha256`. Both give the same digest;
 * only the speed differs.
 */

/** An incremental SHA-256: node:crypto's `Hash` and @noble/hashes' hasher both are one. */
export interface Sha256 {
  update(data: Uint8Array): Sha256;
  digest(): Uint8Array;
}

export type CreateSha256 = () => Sha256;

export const createSha256: CreateSha256 = () => nobleSha256.create();

const utf8 = new TextEncoder();

/** SHA-256 of the concatenation of `parts` (strings as UTF-8). */
export function sha256(...parts: (Uint8Array | string)[]): Uint8Array {
  if (parts.length === 1 && typeof parts[0] !== 'string') return nobleSha256(parts[0]!);
  // One contiguous input, not one update per part: after an unaligned update (a 1-byte Merkle
  // prefix) @noble/hashes copies everything through its block buffer, about twice as slow.
  // Built in place: this runs twice per audit entry, so no intermediate arrays.
  let size = 0;
  for (const p of parts) size += typeof p === 'string' ? p.length * 3 : p.length; // UTF-8: at most 3 bytes per UTF-16 unit
  const input = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    if (typeof p === 'string') at += utf8.encodeInto(p, input.subarray(at)).written;
    else {
      input.set(p, at);
      at += p.length;
    }
  }
  return nobleSha256(input.subarray(0, at));
}
