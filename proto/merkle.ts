import { sha256 } from './hash';

/**
 * RFC 9162 (Certificate Transparency 2.0, §2.1) Merkle tree hashing and proofs, with the
 * stored-hash layout of Go's golang.org/x/mod/sumdb/tlog: every complete subtree hash is stored
 * once, at an index that depends only on its level and position, so a log of n entries is
 * ~2n hashes written insert-only, and any tree hash or proof reads O(log n) of them.
 *
 * The verification functions are what departments and auditors run; the generation functions
 * take a `HashReader` so the gateway can back them with its database. Hashing is synchronous
 * (proto/hash.ts says why it is not WebCrypto's): a proof or a replay is a tight loop of node hashes.
 */

export type Hash = Uint8Array;
export const HASH_SIZE = 32;

export class ProofError extends Error {
  override readonly name = 'ProofError';
}

const LEAF_PREFIX = Uint8Array.of(0);
const NODE_PREFIX = Uint8Array.of(1);

/** SHA-256(0x00 ‖ data): the hash of one entry. */
export function leafHash(data: Uint8Array | string): Hash {
  return sha256(LEAF_PREFIX, data);
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Hash, right: Hash): Hash {
  return sha256(NODE_PREFIX, left, right);
}

/** The root of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT: Hash = sha256(new Uint8Array(0));

export function hashEquals(a: Hash, b: Hash): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

// ---------------------------------------------------------------------------------------------
// Stored-hash layout (tlog). Level-L hash number n covers entries [n·2^L, (n+1)·2^L).

/** Where the level-`level` hash number `n` is stored. */
export function storedHashIndex(level: number, n: number): number {
  // Level L's n-th hash is written right after level L+1's (2n+1)-th hash: walk down to level 0.
  for (let l = level; l > 0; l--) n = 2 * n + 1;
  // Level 0's n-th hash is written at n + n/2 + n/4 + …
  let i = 0;
  for (; n > 0; n = Math.floor(n / 2)) i += n;
  return i + level;
}

/** How many hashes are stored for a log of n entries. */
export function storedHashCount(n: number): number {
  if (n === 0) return 0;
  let count = storedHashIndex(0, n - 1) + 1;
  for (let i = n - 1; i % 2 === 1; i = Math.floor(i / 2)) count++;
  return count;
}

/** Reads stored hashes by index, in the order asked. */
export type HashReader = (indexes: readonly number[]) => Promise<Hash[]> | Hash[];

/**
 * The hashes to store when entry number n (0-based) with leaf hash `leaf` is appended, in index
 * order starting at storedHashIndex(0, n): the leaf, then each subtree it completes.
 */
export async function storedHashesForLeaf(n: number, leaf: Hash, read: HashReader): Promise<Hash[]> {
  const completes = trailingOnes(n);
  const indexes: number[] = [];
  for (let i = completes - 1; i >= 0; i--) indexes.push(storedHashIndex(i, Math.floor(n / 2 ** i) - 1));
  const old = await read(indexes);
  const hashes = [leaf];
  let h = leaf;
  for (let i = 0; i < completes; i++) {
    h = nodeHash(old[completes - 1 - i]!, h);
    hashes.push(h);
  }
  return hashes;
}

/**
 * Which stored hashes entry n's append must read (the left siblings it completes): callers that
 * append in batches serve these from the batch itself or from one query.
 */
export function siblingIndexesForLeaf(n: number): number[] {
  const completes = trailingOnes(n);
  const out: number[] = [];
  for (let i = completes - 1; i >= 0; i--) out.push(storedHashIndex(i, Math.floor(n / 2 ** i) - 1));
  return out;
}

function trailingOnes(n: number): number {
  let c = 0;
  for (; n % 2 === 1; n = Math.floor(n / 2)) c++;
  return c;
}

/** Largest power of two strictly smaller than n (n ≥ 2), and its log₂. */
function splitPoint(n: number): { k: number; level: number } {
  let level = 0;
  while (2 ** (level + 1) < n) level++;
  return { k: 2 ** level, level };
}

/** Largest power of two ≤ n, and its log₂. */
function largestPow2(n: number): { k: number; level: number } {
  let level = 0;
  while (2 ** (level + 1) <= n) level++;
  return { k: 2 ** level, level };
}

/** Stored indexes of the complete subtrees that tile [lo, hi), left to right. */
function tileIndexes(lo: number, hi: number, out: number[]): number[] {
  while (lo < hi) {
    // The largest aligned complete subtree starting at lo that fits.
    let { k, level } = largestPow2(hi - lo);
    while (lo % k !== 0) {
      k /= 2;
      level--;
    }
    out.push(storedHashIndex(level, lo / k));
    lo += k;
  }
  return out;
}

/**
 * Where the hashes of the complete subtrees that make up a tree of `size` entries are stored,
 * largest (leftmost) first: its right frontier, everything an append needs to know.
 */
export function frontierIndexes(size: number): number[] {
  return tileIndexes(0, size, []);
}

/**
 * Appends leaves to a tree known only by its frontier (the hashes at `frontierIndexes(size)`),
 * returning the hashes to store — consecutive from `storedHashIndex(0, size)` — and the new
 * frontier. No stored hash is read: this is how the gateway appends with one query.
 */
export function appendToFrontier(size: number, frontier: readonly Hash[], leaves: readonly Hash[]): { stored: Hash[]; frontier: Hash[] } {
  const stack = frontier.map((hash, i) => ({ hash, level: frontierLevels(size)[i]! }));
  if (stack.length !== frontierLevels(size).length) throw new ProofError(`a tree of ${size} entries has ${frontierLevels(size).length} frontier hashes, not ${frontier.length}`);
  const stored: Hash[] = [];
  for (const leaf of leaves) {
    let node = { level: 0, hash: leaf };
    stored.push(leaf);
    while (stack.length && stack[stack.length - 1]!.level === node.level) {
      const left = stack.pop()!;
      node = { level: node.level + 1, hash: nodeHash(left.hash, node.hash) };
      stored.push(node.hash);
    }
    stack.push(node);
  }
  return { stored, frontier: stack.map((s) => s.hash) };
}

/** Levels of the complete subtrees of a tree of `size` entries, largest first (its set bits). */
function frontierLevels(size: number): number[] {
  const levels: number[] = [];
  for (let level = Math.floor(Math.log2(size || 1)) + 1; level >= 0; level--) if (Math.floor(size / 2 ** level) % 2 === 1) levels.push(level);
  return levels;
}

/** Combines the tiles of one range (right to left), as RFC 9162's MTH does. */
function foldTiles(tiles: Hash[]): Hash {
  let h = tiles[tiles.length - 1]!;
  for (let i = tiles.length - 2; i >= 0; i--) h = nodeHash(tiles[i]!, h);
  return h;
}

/**
 * Reads the hashes of several ranges [lo, hi) in one call to `read`. Each range is one the
 * RFC 9162 recursion produces (lo is a multiple of the largest power of two ≤ hi − lo, or the
 * range is a right fringe), so it tiles into at most log₂ n stored hashes.
 */
async function rangeHashes(ranges: readonly [number, number][], read: HashReader): Promise<Hash[]> {
  const counts: number[] = [];
  const indexes: number[] = [];
  for (const [lo, hi] of ranges) {
    const before = indexes.length;
    tileIndexes(lo, hi, indexes);
    counts.push(indexes.length - before);
  }
  const hashes = await read(indexes);
  if (hashes.length !== indexes.length) throw new ProofError(`hash reader returned ${hashes.length} hashes for ${indexes.length} indexes`);
  const out: Hash[] = [];
  let at = 0;
  for (const c of counts) {
    out.push(foldTiles(hashes.slice(at, at + c)));
    at += c;
  }
  return out;
}

/** The root hash of the first n entries. */
export async function treeHash(n: number, read: HashReader): Promise<Hash> {
  if (n === 0) return EMPTY_ROOT;
  const [h] = await rangeHashes([[0, n]], read);
  return h!;
}

/** RFC 9162 §2.1.3.1 PATH(m, D[lo:hi]) as the list of sibling ranges, leaf level first. */
function inclusionRanges(m: number, lo: number, hi: number, out: [number, number][]): [number, number][] {
  if (hi - lo <= 1) return out;
  const { k } = splitPoint(hi - lo);
  if (m - lo < k) {
    inclusionRanges(m, lo, lo + k, out);
    out.push([lo + k, hi]);
  } else {
    inclusionRanges(m, lo + k, hi, out);
    out.push([lo, lo + k]);
  }
  return out;
}

/** RFC 9162 §2.1.4.1 SUBPROOF(m, D[lo:hi], b) as ranges. */
function consistencyRanges(m: number, lo: number, hi: number, complete: boolean, out: [number, number][]): [number, number][] {
  const n = hi - lo;
  if (m === n) {
    if (!complete) out.push([lo, hi]);
    return out;
  }
  const { k } = splitPoint(n);
  if (m <= k) {
    consistencyRanges(m, lo, lo + k, complete, out);
    out.push([lo + k, hi]);
  } else {
    consistencyRanges(m - k, lo + k, hi, false, out);
    out.push([lo, lo + k]);
  }
  return out;
}

/** The inclusion proof of entry `index` in the tree of the first `size` entries. */
export async function proveInclusion(index: number, size: number, read: HashReader): Promise<Hash[]> {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) {
    throw new ProofError(`entry ${index} is not in a tree of ${size} entries`);
  }
  return rangeHashes(inclusionRanges(index, 0, size, []), read);
}

/** The consistency proof from the tree of `from` entries to the tree of `to` entries. */
export async function proveConsistency(from: number, to: number, read: HashReader): Promise<Hash[]> {
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to) && from >= 0 && from <= to)) {
    throw new ProofError(`no consistency proof from size ${from} to size ${to}`);
  }
  if (from === 0 || from === to) return [];
  return rangeHashes(consistencyRanges(from, 0, to, true, []), read);
}

// ---------------------------------------------------------------------------------------------
// Verification (RFC 9162 §2.1.3.2 and §2.1.4.2). Each throws a ProofError saying what failed.

function checkHashes(what: string, hashes: readonly Hash[]): void {
  hashes.forEach((h, i) => {
    if (h.length !== HASH_SIZE) throw new ProofError(`${what}[${i}] is ${h.length} bytes, not a SHA-256 hash`);
  });
}

/** The root that `proof` implies for entry `index` of a `size`-entry tree with leaf hash `leaf`. */
export function rootFromInclusionProof(index: number, size: number, leaf: Hash, proof: readonly Hash[]): Hash {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size)) || index < 0 || index >= size) {
    throw new ProofError(`entry ${index} is not in a tree of ${size} entries`);
  }
  checkHashes('leaf', [leaf]);
  checkHashes('proof', proof);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new ProofError('the inclusion proof is longer than the tree is deep');
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new ProofError('the inclusion proof is shorter than the tree is deep');
  return r;
}

export function verifyInclusion(index: number, size: number, leaf: Hash, proof: readonly Hash[], root: Hash): void {
  const computed = rootFromInclusionProof(index, size, leaf, proof);
  if (!hashEquals(computed, root)) throw new ProofError(`entry ${index} is not in the tree of ${size} entries with this root`);
}

export function verifyConsistency(from: number, to: number, fromRoot: Hash, toRoot: Hash, proof: readonly Hash[]): void {
  if (!(Number.isSafeInteger(from) && Number.isSafeInteger(to)) || from < 0 || from > to) {
    throw new ProofError(`no consistency between size ${from} and size ${to}`);
  }
  checkHashes('proof', proof);
  if (from === to) {
    if (proof.length) throw new ProofError('a consistency proof between equal sizes must be empty');
    if (!hashEquals(fromRoot, toRoot)) throw new ProofError(`two different roots for the same size ${from}`);
    return;
  }
  if (from === 0) {
    if (proof.length) throw new ProofError('a consistency proof from the empty tree must be empty');
    return;
  }
  if (proof.length === 0) throw new ProofError('the consistency proof is empty');
  let path = [...proof];
  // A first tree that is a complete subtree is its own first proof node (RFC 9162 §2.1.4.2 step 2).
  if (Number.isInteger(Math.log2(from))) path = [fromRoot, ...path];
  let fn = from - 1;
  let sn = to - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) throw new ProofError('the consistency proof is too long');
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new ProofError('the consistency proof is too short');
  if (!hashEquals(fr, fromRoot)) throw new ProofError(`the proof does not lead to the root of size ${from}: history was rewritten`);
  if (!hashEquals(sr, toRoot)) throw new ProofError(`the proof does not lead to the root of size ${to}`);
}

/**
 * Incremental root computation over a stream of leaves, for verifiers that replay a whole log:
 * O(log n) memory, one node hash per entry amortised.
 */
export class RootAccumulator {
  /** Complete subtree roots, largest first; stack[i] covers 2^levels[i] leaves. */
  private readonly stack: { level: number; hash: Hash }[] = [];
  size = 0;

  push(leaf: Hash): void {
    let node = { level: 0, hash: leaf };
    while (this.stack.length && this.stack[this.stack.length - 1]!.level === node.level) {
      const left = this.stack.pop()!;
      node = { level: node.level + 1, hash: nodeHash(left.hash, node.hash) };
    }
    this.stack.push(node);
    this.size++;
  }

  root(): Hash {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let h = this.stack[this.stack.length - 1]!.hash;
    for (let i = this.stack.length - 2; i >= 0; i--) h = nodeHash(this.stack[i]!.hash, h);
    return h;
  }
}
