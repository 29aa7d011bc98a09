import { createHash } from 'node:crypto';
import { isPowerOfTwo, leafInput, nodeInput, splitPoint } from '../domain/merkle-proof.ts';

/**
 * The Merkle tree of RFC 9162 section 2.1 over a ledger's events (spec section 12,
 * docs/proofs.md): leaf `i` is the event at position `i + 1`, its leaf data the 32 bytes of the
 * event's `hash`. Proofs here are lists of ranges of leaves, each standing for the Merkle tree
 * hash of that range; a store answers them from the complete subtrees it keeps. Verifying
 * proofs is src/domain/merkle-proof.ts's (over WebCrypto, for the browser too).
 */

const sha256 = (bytes: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(bytes).digest());

/** SHA-256(0x00 || data). */
export const leafHash = (data: Uint8Array): Uint8Array => sha256(leafInput(data));

/** SHA-256(0x01 || left || right). */
export const nodeHash = (left: Uint8Array, right: Uint8Array): Uint8Array => sha256(nodeInput(left, right));

/** The hash of the empty tree: SHA-256 of nothing. */
export const EMPTY_ROOT = sha256(new Uint8Array(0));

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
export const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));

/** The leaf hash of an event, from its `hash` (64 hex digits). */
export const eventLeafHash = (eventHash: string): Uint8Array => leafHash(fromHex(eventHash));

/** Leaves [start, end) of the tree, numbered from 0. */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/** A complete subtree: leaves [index * 2^level, (index + 1) * 2^level). */
export interface Subtree {
  readonly level: number;
  readonly index: number;
}

/** RFC 9162 section 2.1.3.1, PATH(m, D[n]): the ranges of the audit path of leaf m, leaf to root. */
export function inclusionRanges(leafIndex: number, treeSize: number, offset = 0): LeafRange[] {
  if (treeSize <= 1) return [];
  const k = splitPoint(treeSize);
  return leafIndex < k
    ? [...inclusionRanges(leafIndex, k, offset), { start: offset + k, end: offset + treeSize }]
    : [...inclusionRanges(leafIndex - k, treeSize - k, offset + k), { start: offset, end: offset + k }];
}

/** RFC 9162 section 2.1.4.1, PROOF(m, D[n]) = SUBPROOF(m, D[n], true), for 0 < m <= n. */
export function consistencyRanges(fromSize: number, toSize: number): LeafRange[] {
  return subproof(fromSize, toSize, true, 0);
}

function subproof(m: number, n: number, complete: boolean, offset: number): LeafRange[] {
  if (m === n) return complete ? [] : [{ start: offset, end: offset + n }];
  const k = splitPoint(n);
  return m <= k
    ? [...subproof(m, k, complete, offset), { start: offset + k, end: offset + n }]
    : [...subproof(m - k, n - k, false, offset + k), { start: offset, end: offset + k }];
}

/**
 * The complete subtrees whose hashes make the hash of a range of a proof, left to right. Every
 * range of a proof starts at a multiple of the largest power of two not above its length, so it
 * splits like a tree's right edge: a complete subtree, then the rest.
 */
export function subtreesOf(range: LeafRange): Subtree[] {
  const size = range.end - range.start;
  if (isPowerOfTwo(size) && range.start % size === 0) return [{ level: Math.log2(size), index: range.start / size }];
  const k = splitPoint(size);
  return [...subtreesOf({ start: range.start, end: range.start + k }), ...subtreesOf({ start: range.start + k, end: range.end })];
}

export const subtreeKey = (s: Subtree): string => `${s.level}:${s.index}`;

/** Leaves [start, end) as the fewest aligned complete subtrees, left to right (greedy). */
export function alignedSubtrees(range: LeafRange): Subtree[] {
  const subtrees: Subtree[] = [];
  for (let at = range.start; at < range.end;) {
    let size = 1;
    while (at % (size * 2) === 0 && at + size * 2 <= range.end) size *= 2;
    subtrees.push({ level: Math.log2(size), index: at / size });
    at += size;
  }
  return subtrees;
}

/** A complete subtree's hash: given, or made from its two halves, down to the leaves (level 0). */
export function completeHash(subtree: Subtree, known: ReadonlyMap<string, Uint8Array>): Uint8Array | undefined {
  const hash = known.get(subtreeKey(subtree));
  if (hash || subtree.level === 0) return hash;
  const left = completeHash({ level: subtree.level - 1, index: subtree.index * 2 }, known);
  const right = left && completeHash({ level: subtree.level - 1, index: subtree.index * 2 + 1 }, known);
  return right && nodeHash(left!, right);
}

/** The hash of a range from the hashes of its complete subtrees (keyed by `subtreeKey`). */
export function rangeHash(range: LeafRange, subtrees: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const size = range.end - range.start;
  if (isPowerOfTwo(size) && range.start % size === 0) {
    const hash = subtrees.get(subtreeKey({ level: Math.log2(size), index: range.start / size }));
    if (!hash) throw new Error(`no hash for leaves ${range.start} to ${range.end - 1}`);
    return hash;
  }
  const k = splitPoint(size);
  return nodeHash(rangeHash({ start: range.start, end: range.start + k }, subtrees), rangeHash({ start: range.start + k, end: range.end }, subtrees));
}

/** The Merkle tree hash of these leaf hashes, MTH(D[n]) (in memory: for tests and offline checks). */
export function rootOf(leafHashes: readonly Uint8Array[]): Uint8Array {
  if (leafHashes.length === 0) return EMPTY_ROOT;
  return completeSubtreeHashes(leafHashes, { start: 0, end: leafHashes.length }).root;
}

/**
 * Every complete subtree hash of the leaves, keyed by `subtreeKey`, and the root: the stack of a
 * left-to-right fold (the "compact range"), as a store builds them.
 */
export function completeSubtreeHashes(leafHashes: readonly Uint8Array[], range: LeafRange): { root: Uint8Array; subtrees: Map<string, Uint8Array> } {
  const subtrees = new Map<string, Uint8Array>();
  const put = (level: number, index: number, hash: Uint8Array) => subtrees.set(subtreeKey({ level, index }), hash);
  for (let i = range.start; i < range.end; i++) {
    let hash = leafHashes[i]!;
    put(0, i, hash);
    for (let level = 0, index = i; index % 2 === 1; level++, index = (index - 1) / 2) {
      hash = nodeHash(subtrees.get(subtreeKey({ level, index: index - 1 }))!, hash);
      put(level + 1, (index - 1) / 2, hash);
    }
  }
  return { root: rangeHash(range, subtrees), subtrees };
}

/**
 * The root of a tree that grows leaf by leaf, in a pass: a stack of the complete subtrees so far
 * (its right edge), folded right to left when a root is asked for.
 */
export class GrowingTree {
  private readonly stack: { size: number; hash: Uint8Array }[] = [];
  size = 0;

  push(leaf: Uint8Array): void {
    let top = { size: 1, hash: leaf };
    while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.size === top.size) {
      const left = this.stack.pop()!;
      top = { size: left.size * 2, hash: nodeHash(left.hash, top.hash) };
    }
    this.stack.push(top);
    this.size += 1;
  }

  root(): Uint8Array {
    return this.stack.reduceRight<Uint8Array | null>((right, s) => (right ? nodeHash(s.hash, right) : s.hash), null) ?? EMPTY_ROOT;
  }
}
