import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_CHUNK_BYTES, splitChunks, trailerFor } from './stream';

describe('splitChunks', () => {
  it('splits into chunks of at most 64 KiB that concatenate to the input', () => {
    for (const size of [0, 1, MAX_CHUNK_BYTES - 1, MAX_CHUNK_BYTES, MAX_CHUNK_BYTES + 1, 3 * MAX_CHUNK_BYTES + 17]) {
      const bytes = new Uint8Array(size).map((_, i) => i % 251);
      const chunks = [...splitChunks(bytes)];
      expect(chunks.length).toBe(Math.ceil(size / MAX_CHUNK_BYTES));
      for (const c of chunks) expect(c.length).toBeLessThanOrEqual(MAX_CHUNK_BYTES);
      expect(Buffer.concat(chunks).equals(Buffer.from(bytes))).toBe(true);
    }
  });
});

describe('trailerFor', () => {
  it('counts bytes and hashes them (lowercase hex SHA-256)', () => {
    expect(trailerFor(new TextEncoder().encode('abc'), 2)).toEqual({
      records: 2,
      bytes: 3,
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    });
    expect(trailerFor(new Uint8Array(0), 0).sha256).toBe(createHash('sha256').digest('hex'));
  });
});
