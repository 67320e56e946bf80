import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { base64url } from 'jose';

/**
 * The byte helpers of the contract, on `Uint8Array` only — no `Buffer` — so every format module
 * runs unchanged in Node and in a browser. base64url is jose's (the JOSE formats already use it),
 * hex is @noble/hashes'; the rest is small enough to keep here rather than pull in a library.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

export const encodeUtf8 = (text: string): Uint8Array => encoder.encode(text);
export const decodeUtf8 = (bytes: Uint8Array): string => decoder.decode(bytes);

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Big-endian unsigned 16-bit integer. */
export function encodeU16(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new RangeError(`${n} does not fit in 16 bits`);
  const out = new Uint8Array(2);
  view(out).setUint16(0, n);
  return out;
}

/** Big-endian unsigned 32-bit integer. */
export function encodeU32(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`${n} does not fit in 32 bits`);
  const out = new Uint8Array(4);
  view(out).setUint32(0, n);
  return out;
}

/** Writes `n` as a big-endian 64-bit integer at `offset` of `into`. */
export function writeU64(into: Uint8Array, offset: number, n: number | bigint): void {
  view(into).setBigUint64(offset, BigInt(n));
}

/** The big-endian unsigned 32-bit integer at `offset`. */
export function readU32(bytes: Uint8Array, offset = 0): number {
  return view(bytes).getUint32(offset);
}

export const encodeHex = (bytes: Uint8Array): string => bytesToHex(bytes);
export const decodeHex = (hex: string): Uint8Array => hexToBytes(hex);

export const encodeBase64url = (bytes: Uint8Array | string): string => base64url.encode(bytes);
export const decodeBase64url = (text: string): Uint8Array => base64url.decode(text);

/** Standard base64 with padding (RFC 4648 §4), as the signed-note and checkpoint formats write it. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  // String.fromCharCode takes its arguments on the stack: go in slices.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/**
 * Decodes standard base64. Refuses anything that is not the canonical encoding of its bytes
 * (wrong alphabet, missing or extra padding, stray bits): two texts must not mean one value.
 */
export function decodeBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new TypeError(`${JSON.stringify(text.slice(0, 40))} is not padded standard base64`);
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  if (encodeBase64(out) !== text) throw new TypeError(`${JSON.stringify(text.slice(0, 40))} is not canonical base64`);
  return out;
}

/**
 * `bytes` as WebCrypto's argument type. The DOM's typings (the console's type check) accept only
 * views of an ArrayBuffer, not of a SharedArrayBuffer; Node's accept both. No bytes are copied.
 */
export const bufferSource = (bytes: Uint8Array): Uint8Array<ArrayBuffer> => bytes as Uint8Array<ArrayBuffer>;
