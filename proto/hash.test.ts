import { describe, expect, it } from 'vitest';
import { concatBytes, encodeHex, encodeUtf8 } from './bytes';
import { createSha256, sha256 } from './hash';

describe('sha256', () => {
  it('gives the FIPS 180-2 digests of "abc" and of nothing', () => {
    expect(encodeHex(sha256(encodeUtf8('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(encodeHex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes parts as their concatenation, strings as UTF-8 (also outside the BMP)', () => {
    const parts = [Uint8Array.of(0), '鄂尔多斯 🐎\n', new Uint8Array(70).fill(9), 'abc'];
    const whole = concatBytes(parts.map((p) => (typeof p === 'string' ? encodeUtf8(p) : p)));
    expect(encodeHex(sha256(...parts))).toBe(encodeHex(sha256(whole)));
    const h = createSha256();
    for (let at = 0; at < whole.length; at += 7) h.update(whole.subarray(at, at + 7));
    expect(encodeHex(h.digest())).toBe(encodeHex(sha256(whole)));
  });
});
