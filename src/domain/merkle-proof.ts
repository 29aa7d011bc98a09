// The verification of RFC 9162's proofs (section 2.1.3.2 and 2.1.4.2), written once for every
// verifier: `npm run verify`, the typed client and the feed follower (src/app/proof-check.ts) and
// the auditor console in the browser. The walk is generic in the hash value `H` (here a promise of
// WebCrypto's SHA-256, which Node, Workers and browsers share); the caller brings `node`,
// SHA-256(0x01 || left || right). No Node import.
import { bytesEqual, concatBytes } from './bytes.ts';

/** Spec section 12: `GET .../proofs/inclusion`. Hashes as lowercase hex. */
export interface InclusionProof {
  readonly position: number;
  readonly treeSize: number;
  readonly leafHash: string;
  readonly rootHash: string;
  readonly auditPath: readonly string[];
}

/** Spec section 12: `GET .../proofs/consistency`. */
export interface ConsistencyProof {
  readonly from: number;
  readonly to: number;
  readonly fromRoot: string;
  readonly toRoot: string;
  readonly proof: readonly string[];
}

/** What a leaf hash hashes: 0x00 || leaf data (RFC 9162's domain separation). */
export const leafInput = (data: Uint8Array): Uint8Array<ArrayBuffer> => concatBytes(Uint8Array.of(0x00), data);

/** What a node hash hashes: 0x01 || left || right. */
export const nodeInput = (left: Uint8Array, right: Uint8Array): Uint8Array<ArrayBuffer> => concatBytes(Uint8Array.of(0x01), left, right);

/** The largest power of two smaller than n (n > 1): RFC 9162's k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export const isPowerOfTwo = (n: number): boolean => n > 0 && splitPoint(n + 1) === n;

/**
 * RFC 9162 section 2.1.3.2, but the last comparison: the root the audit path leads to from the
 * leaf at `leafIndex` (from 0) in a tree of `treeSize`, or null when the path cannot be one.
 */
export function rootFromInclusionProof<H extends object>(leafIndex: number, treeSize: number, leaf: H, path: readonly H[], node: (left: H, right: H) => H): H | null {
  if (leafIndex < 0 || leafIndex >= treeSize) return null;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = node(p, r);
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
    } else {
      r = node(r, p);
    }
    [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  }
  return sn === 0 ? r : null;
}

/**
 * RFC 9162 section 2.1.4.2, but the last comparisons: the roots of sizes `fromSize` and `toSize`
 * the proof leads to (the proof holds when they are the two roots trusted), or null when it
 * cannot be one. With equal sizes the proof is empty and both roots are `fromRoot`.
 */
export function rootsFromConsistencyProof<H extends object>(fromSize: number, toSize: number, fromRoot: H, proof: readonly H[], node: (left: H, right: H) => H): { fromRoot: H; toRoot: H } | null {
  if (fromSize < 1 || toSize < fromSize) return null;
  if (fromSize === toSize) return proof.length === 0 ? { fromRoot, toRoot: fromRoot } : null;
  if (proof.length === 0) return null;
  const path = isPowerOfTwo(fromSize) ? [fromRoot, ...proof] : [...proof];
  let fn = fromSize - 1;
  let sn = toSize - 1;
  while (fn % 2 === 1) [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  let fr: H = path[0]!;
  let sr: H = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      fr = node(c, fr);
      sr = node(c, sr);
      while (fn % 2 === 0 && fn !== 0) [fn, sn] = [fn / 2, Math.floor(sn / 2)];
    } else {
      sr = node(sr, c);
    }
    [fn, sn] = [Math.floor(fn / 2), Math.floor(sn / 2)];
  }
  return sn === 0 ? { fromRoot: fr, toRoot: sr } : null;
}

/** SHA-256 of some bytes, asynchronous as WebCrypto's is. */
export type Sha256 = (bytes: Uint8Array<ArrayBuffer>) => Promise<Uint8Array>;

/** WebCrypto's SHA-256 (`crypto.subtle`), the same in Node, Workers and browsers (where it needs a secure context). */
export const webCryptoSha256: Sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));

/** The leaf hash and node hash of RFC 9162 over an asynchronous SHA-256 (WebCrypto). */
export function asyncMerkleHashes(sha256: Sha256) {
  return {
    leafHash: (data: Uint8Array) => sha256(leafInput(data)),
    nodeHash: async (left: Promise<Uint8Array>, right: Promise<Uint8Array>) => sha256(nodeInput(await left, await right)),
  };
}

/** Whether the audit path takes `leaf` (a leaf hash) at `leafIndex` to `root` in a tree of `treeSize`, hashing with `sha256`. */
export async function inclusionHolds(sha256: Sha256, leafIndex: number, treeSize: number, leaf: Uint8Array, path: readonly Uint8Array[], root: Uint8Array): Promise<boolean> {
  if (![leaf, root, ...path].every((hash) => hash.length === 32)) return false;
  const found = rootFromInclusionProof(leafIndex, treeSize, Promise.resolve(leaf), path.map((p) => Promise.resolve(p)), asyncMerkleHashes(sha256).nodeHash);
  return found !== null && bytesEqual(await found, root);
}

/** Whether the proof shows the tree of `toSize` (root `toRoot`) extends that of `fromSize` (root `fromRoot`), hashing with `sha256`. */
export async function consistencyHolds(sha256: Sha256, fromSize: number, toSize: number, fromRoot: Uint8Array, toRoot: Uint8Array, proof: readonly Uint8Array[]): Promise<boolean> {
  if (proof.length > 0 && ![fromRoot, toRoot, ...proof].every((hash) => hash.length === 32)) return false;
  const found = rootsFromConsistencyProof(fromSize, toSize, Promise.resolve(fromRoot), proof.map((p) => Promise.resolve(p)), asyncMerkleHashes(sha256).nodeHash);
  return found !== null && bytesEqual(await found.fromRoot, fromRoot) && bytesEqual(await found.toRoot, toRoot);
}
