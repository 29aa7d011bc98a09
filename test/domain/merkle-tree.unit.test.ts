// The tree and proofs against the published test vectors of a reference implementation of RFC
// 9162's algorithms: transparency-dev/merkle (the Go library behind Trillian and the Go checksum
// database), commit 417fb0c314750d94e53942e9f92e79b6d35915db. test/vectors/transparency-dev-merkle.json
// holds, unchanged, its testdata/inclusion/**/*.json and testdata/consistency/**/*.json (read by
// its proof/verify_test.go; hashes in base64) and the leaf inputs and roots of its
// testonly/constants.go. Each vector's `file` names its source file.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  completeSubtreeHashes, consistencyRanges, EMPTY_ROOT, inclusionRanges, leafHash, GrowingTree, rangeHash, rootOf, subtreesOf, toHex,
} from '../../src/app/merkle-tree.ts';
import { bytesToHex, hexToBytes } from '../../src/domain/bytes.ts';
import { asyncMerkleHashes, consistencyHolds, inclusionHolds, webCryptoSha256 } from '../../src/domain/merkle-proof.ts';

interface InclusionVector { leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; desc: string; wantErr: boolean; file: string }
interface ConsistencyVector { size1: number; size2: number; root1: string; root2: string; proof: string[] | null; desc: string; wantErr: boolean; file: string }

const vectors = JSON.parse(readFileSync(new URL('../vectors/transparency-dev-merkle.json', import.meta.url), 'utf8')) as {
  leafInputsHex: string[]; rootHashesHex: string[]; inclusion: InclusionVector[]; consistency: ConsistencyVector[];
};
// The verifiers every client runs (src/app/proof-check.ts, the console in the browser): WebCrypto's SHA-256.
const verifyInclusion = inclusionHolds.bind(null, webCryptoSha256);
const verifyConsistency = consistencyHolds.bind(null, webCryptoSha256);
const b64 = (s: string | null) => new Uint8Array(Buffer.from(s ?? '', 'base64'));
const leaves = vectors.leafInputsHex.map((hex) => leafHash(new Uint8Array(Buffer.from(hex, 'hex'))));

/** The proof of these ranges over the reference leaves, as hex. */
function proofOf(ranges: { start: number; end: number }[], size: number): string[] {
  const { subtrees } = completeSubtreeHashes(leaves.slice(0, size), { start: 0, end: size });
  return ranges.map((r) => toHex(rangeHash(r, subtrees)));
}

describe('the Merkle tree of RFC 9162 (transparency-dev/merkle vectors)', () => {
  it('has the reference root for every size from 0 to 8, built at once or in one pass', () => {
    expect(toHex(EMPTY_ROOT)).toBe(vectors.rootHashesHex[0]);
    const growing = new GrowingTree();
    for (let size = 0; size <= 8; size++) {
      expect(toHex(rootOf(leaves.slice(0, size))), `size ${size}`).toBe(vectors.rootHashesHex[size]);
      expect(toHex(growing.root()), `size ${size}, grown`).toBe(vectors.rootHashesHex[size]);
      if (size < 8) growing.push(leaves[size]!);
    }
  });

  it(`verifies the ${vectors.inclusion.length} inclusion vectors as the reference does`, async () => {
    expect(vectors.inclusion.length).toBeGreaterThan(90);
    for (const v of vectors.inclusion) {
      const ok = await verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof ?? []).map(b64), b64(v.root));
      expect(ok, `${v.file}: ${v.desc}`).toBe(!v.wantErr);
    }
  });

  it('hashes a leaf over WebCrypto as over node:crypto, and reads hex strictly', async () => {
    const data = new Uint8Array(Buffer.from(vectors.leafInputsHex[3]!, 'hex'));
    expect(bytesToHex(await asyncMerkleHashes(webCryptoSha256).leafHash(data))).toBe(toHex(leafHash(data)));
    expect(hexToBytes(toHex(leaves[5]!))).toEqual(leaves[5]);
    expect([hexToBytes('0g'), hexToBytes('abc'), hexToBytes('AB')]).toEqual([null, null, null]);
  });

  it(`verifies the ${vectors.consistency.length} consistency vectors as the reference does`, async () => {
    expect(vectors.consistency.length).toBeGreaterThan(90);
    for (const v of vectors.consistency) {
      const ok = await verifyConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), (v.proof ?? []).map(b64));
      expect(ok, `${v.file}: ${v.desc}`).toBe(!v.wantErr);
    }
  });

  it('builds exactly the reference proofs for the reference tree (every happy path over its leaves)', () => {
    const hex = (s: string) => Buffer.from(s, 'base64').toString('hex');
    const overLeaves = (size: number, root: string) => size <= 8 && vectors.rootHashesHex[size] === hex(root);
    const inclusion = vectors.inclusion.filter((v) => !v.wantErr && v.treeSize > 0 && overLeaves(v.treeSize, v.root));
    const consistency = vectors.consistency.filter((v) => !v.wantErr && v.size1 > 0 && overLeaves(v.size2, v.root2));
    expect(inclusion.length + consistency.length).toBeGreaterThanOrEqual(8);
    for (const v of inclusion) expect(proofOf(inclusionRanges(v.leafIdx, v.treeSize), v.treeSize), v.file).toEqual((v.proof ?? []).map(hex));
    for (const v of consistency) expect(proofOf(consistencyRanges(v.size1, v.size2), v.size2), v.file).toEqual((v.proof ?? []).map(hex));
  });
});

describe('proofs over larger trees', () => {
  const many = Array.from({ length: 300 }, (_, i) => leafHash(new Uint8Array([i & 0xff, i >> 8])));

  it('every inclusion and consistency proof verifies, and fails for another leaf or root', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), async (size, a, b) => {
      const { root, subtrees } = completeSubtreeHashes(many.slice(0, size), { start: 0, end: size });
      const index = a % size;
      const path = inclusionRanges(index, size).map((r) => rangeHash(r, subtrees));
      expect(await verifyInclusion(index, size, many[index]!, path, root)).toBe(true);
      expect(await verifyInclusion(index, size, many[(index + 1) % 300]!, path, root)).toBe(false);
      expect(await verifyInclusion(index, size, many[index]!, path, rootOf(many.slice(1, size + 1)))).toBe(false);
      const from = 1 + (b % size);
      const fromRoot = rootOf(many.slice(0, from));
      const growing = new GrowingTree();
      many.slice(0, size).forEach((leaf, i) => {
        growing.push(leaf);
        if (i + 1 === from) expect(growing.root()).toEqual(fromRoot);
      });
      expect(growing.root()).toEqual(root);
      const proof = consistencyRanges(from, size).map((r) => rangeHash(r, subtrees));
      expect(await verifyConsistency(from, size, fromRoot, root, proof)).toBe(true);
      expect(await verifyConsistency(from, size, rootOf(many.slice(1, from + 1)), root, proof)).toBe(false);
    }), { numRuns: 200 });
  });

  it('splits every proof range into aligned complete subtrees', () => {
    for (let size = 1; size <= 64; size++) {
      for (const r of [...inclusionRanges(size - 1, size), ...consistencyRanges(1 + (size >> 1), size)]) {
        let at = r.start;
        for (const s of subtreesOf(r)) {
          expect(at % 2 ** s.level).toBe(0);
          expect(s.index * 2 ** s.level).toBe(at);
          at += 2 ** s.level;
        }
        expect(at).toBe(r.end);
      }
    }
  });
});
