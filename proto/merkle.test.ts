/// <reference types="vite/client" />
import { describe, expect, it } from 'vitest';
import { decodeBase64, decodeHex, encodeBase64, encodeHex } from './bytes';
import {
  appendToFrontier,
  EMPTY_ROOT,
  frontierIndexes,
  leafHash,
  nodeHash,
  proveConsistency,
  proveInclusion,
  ProofError,
  RootAccumulator,
  storedHashCount,
  storedHashesForLeaf,
  storedHashIndex,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from './merkle';

import ref from './vectors/merkle/rfc6962-roots.json';

const b64 = (s: string) => decodeBase64(s);
const hex = (h: Hash) => encodeHex(h);

// Loaded by the bundler (Vite's import.meta.glob), not node:fs, so the same file runs in a browser.
const VECTOR_FILES = import.meta.glob<Record<string, unknown>>('./vectors/merkle/*/*/*.json', { eager: true, import: 'default' });

function vectorFiles(kind: 'inclusion' | 'consistency'): { name: string; v: Record<string, unknown> }[] {
  const prefix = `./vectors/merkle/${kind}/`;
  return Object.entries(VECTOR_FILES)
    .filter(([path]) => path.startsWith(prefix))
    .map(([path, v]) => ({ name: path.slice(prefix.length), v }));
}

/** RFC 9162 MTH computed the slow, obvious way. */
function referenceRoot(leaves: Hash[]): Hash {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

/** An in-memory stored-hash log, the layout the gateway keeps in PostgreSQL. */
async function buildLog(count: number) {
  const stored: Hash[] = [];
  const leaves: Hash[] = [];
  const reads: number[] = [];
  const read = (idx: readonly number[]) => {
    reads.push(idx.length);
    return idx.map((i) => {
      const h = stored[i];
      if (!h) throw new Error(`no stored hash at ${i}`);
      return h;
    });
  };
  for (let n = 0; n < count; n++) {
    const leaf = leafHash(`entry ${n}`);
    leaves.push(leaf);
    const hashes = await storedHashesForLeaf(n, leaf, read);
    expect(stored.length).toBe(storedHashIndex(0, n));
    stored.push(...hashes);
    expect(stored.length).toBe(storedHashCount(n + 1));
  }
  return { stored, leaves, read, reads };
}

describe('RFC 6962 reference tree', () => {
  it('the stored-hash layout yields the published root of every prefix', async () => {
    const stored: Hash[] = [];
    const read = (idx: readonly number[]) => idx.map((i) => stored[i]!);
    for (const [n, data] of ref.leaves.entries()) {
      stored.push(...(await storedHashesForLeaf(n, leafHash(decodeHex(data)), read)));
      expect(hex(await treeHash(n + 1, read))).toBe(ref.roots[n]);
    }
  });
  it('the root of the empty tree is SHA-256 of nothing', async () => {
    expect(hex(await treeHash(0, () => []))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('transparency-dev/merkle inclusion vectors', () => {
  for (const { name, v } of vectorFiles('inclusion')) {
    it(`${name}: ${v.desc} → ${v.wantErr ? 'rejected' : 'accepted'}`, () => {
      const run = () =>
        verifyInclusion(v.leafIdx as number, v.treeSize as number, b64(v.leafHash as string), ((v.proof as string[] | null) ?? []).map(b64), b64(v.root as string));
      if (v.wantErr) expect(run).toThrow(ProofError);
      else expect(run).not.toThrow();
    });
  }
});

describe('transparency-dev/merkle consistency vectors', () => {
  for (const { name, v } of vectorFiles('consistency')) {
    it(`${name}: ${v.desc} → ${v.wantErr ? 'rejected' : 'accepted'}`, () => {
      const run = () =>
        verifyConsistency(v.size1 as number, v.size2 as number, b64(v.root1 as string), b64(v.root2 as string), ((v.proof as string[] | null) ?? []).map(b64));
      if (v.wantErr) expect(run).toThrow(ProofError);
      else expect(run).not.toThrow();
    });
  }
});

describe('proof generation from stored hashes', () => {
  it('reproduces the published proofs byte for byte', async () => {
    const stored: Hash[] = [];
    const read = (idx: readonly number[]) => idx.map((i) => stored[i]!);
    for (const [n, data] of ref.leaves.entries()) stored.push(...(await storedHashesForLeaf(n, leafHash(decodeHex(data)), read)));
    for (const { v } of vectorFiles('inclusion').filter((f) => !f.v.wantErr)) {
      const proof = await proveInclusion(v.leafIdx as number, v.treeSize as number, read);
      expect(proof.map((h) => encodeBase64(h))).toEqual((v.proof as string[] | null) ?? []);
    }
    for (const { v } of vectorFiles('consistency').filter((f) => !f.v.wantErr)) {
      const proof = await proveConsistency(v.size1 as number, v.size2 as number, read);
      expect(proof.map((h) => encodeBase64(h))).toEqual((v.proof as string[] | null) ?? []);
    }
  });

  it('every inclusion and consistency proof of trees up to 40 entries verifies, and against a neighbour root fails', async () => {
    const { leaves, read } = await buildLog(40);
    const roots = [EMPTY_ROOT];
    for (let n = 1; n <= 40; n++) {
      roots.push(await treeHash(n, read));
      expect(hex(roots[n]!)).toBe(hex(referenceRoot(leaves.slice(0, n))));
    }
    for (let size = 1; size <= 40; size++) {
      for (let i = 0; i < size; i++) {
        const proof = await proveInclusion(i, size, read);
        verifyInclusion(i, size, leaves[i]!, proof, roots[size]!);
        if (size > 1) expect(() => verifyInclusion(i, size, leaves[(i + 1) % size]!, proof, roots[size]!)).toThrow(ProofError);
      }
      for (let from = 0; from <= size; from++) {
        const proof = await proveConsistency(from, size, read);
        verifyConsistency(from, size, roots[from]!, roots[size]!, proof);
        if (from > 0 && from < size) expect(() => verifyConsistency(from, size, roots[from - 1]!, roots[size]!, proof)).toThrow(ProofError);
      }
    }
  });

  it('reads O(log n) stored hashes per proof', async () => {
    const { read, reads } = await buildLog(1000);
    reads.length = 0;
    await proveInclusion(517, 999, read);
    await proveConsistency(333, 999, read);
    await treeHash(999, read);
    expect(Math.max(...reads)).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(1000)));
  });

  it('appending to a frontier stores exactly what storedHashesForLeaf stores, in batches of any size', async () => {
    const { stored, leaves, read } = await buildLog(300);
    let size = 0;
    let frontier: Hash[] = [];
    const out: Hash[] = [];
    for (const n of [1, 2, 5, 64, 1, 100, 127]) {
      expect(frontier.map(hex)).toEqual((await read(frontierIndexes(size))).map(hex));
      const step = appendToFrontier(size, frontier, leaves.slice(size, size + n));
      out.push(...step.stored);
      frontier = step.frontier;
      size += n;
    }
    expect(out.map(hex)).toEqual(stored.slice(0, out.length).map(hex));
    expect(out.length).toBe(storedHashCount(size));
    expect(() => appendToFrontier(3, [], [leaves[0]!])).toThrow(ProofError);
  });

  it('RootAccumulator agrees with the stored tree', async () => {
    const { leaves, read } = await buildLog(37);
    const acc = new RootAccumulator();
    for (const [i, leaf] of leaves.entries()) {
      acc.push(leaf);
      expect(hex(acc.root())).toBe(hex(await treeHash(i + 1, read)));
    }
  });
});
