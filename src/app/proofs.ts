import type { ConsistencyProof, InclusionProof } from '../domain/merkle-proof.ts';
import {
  consistencyRanges, EMPTY_ROOT, inclusionRanges, rangeHash, subtreeKey, subtreesOf, toHex, type LeafRange, type Subtree,
} from './merkle-tree.ts';

/** Where the tree's complete subtrees come from: the stored ones, and the events for the rest (adapters/db/tree-store.ts). */
export interface TreeReader {
  /**
   * The hashes of these complete subtrees of a ledger's tree, keyed by `subtreeKey`. Throws
   * `MissingLeaf` when a leaf it needs has no event (a hole in the log).
   */
  subtreeHashes(ledgerId: string, subtrees: readonly Subtree[]): Promise<Map<string, Uint8Array>>;
}

/** A leaf of the tree whose event is not in the log: nothing that covers it can be proven. */
export class MissingLeaf extends Error {
  readonly position: number;

  constructor(position: number) {
    super(`the log has no event at position ${position}`);
    this.position = position;
  }
}

/** The hashes of these ranges of leaves, in one read of their complete subtrees. */
async function rangeHashes(tree: TreeReader, ledgerId: string, ranges: readonly LeafRange[]): Promise<string[]> {
  const wanted = new Map<string, Subtree>();
  for (const subtree of ranges.flatMap(subtreesOf)) wanted.set(subtreeKey(subtree), subtree);
  const subtrees = await tree.subtreeHashes(ledgerId, [...wanted.values()]);
  return ranges.map((range) => toHex(rangeHash(range, subtrees)));
}

/** The root hash of the tree over the first `treeSize` events. */
export async function treeRoot(tree: TreeReader, ledgerId: string, treeSize: number): Promise<string> {
  if (treeSize === 0) return toHex(EMPTY_ROOT);
  const [root] = await rangeHashes(tree, ledgerId, [{ start: 0, end: treeSize }]);
  return root!;
}

/** The audit path of the event at `position` in the tree of the first `treeSize` events (1 <= position <= treeSize). */
export async function inclusionProof(tree: TreeReader, ledgerId: string, position: number, treeSize: number): Promise<InclusionProof> {
  const ranges = [{ start: position - 1, end: position }, { start: 0, end: treeSize }, ...inclusionRanges(position - 1, treeSize)];
  const [leafHash, rootHash, ...auditPath] = await rangeHashes(tree, ledgerId, ranges);
  return { position, treeSize, leafHash: leafHash!, rootHash: rootHash!, auditPath };
}

/** The proof that the tree of the first `to` events extends that of the first `from` (1 <= from <= to). */
export async function consistencyProof(tree: TreeReader, ledgerId: string, from: number, to: number): Promise<ConsistencyProof> {
  const ranges = [{ start: 0, end: from }, { start: 0, end: to }, ...consistencyRanges(from, to)];
  const [fromRoot, toRoot, ...proof] = await rangeHashes(tree, ledgerId, ranges);
  return { from, to, fromRoot: fromRoot!, toRoot: toRoot!, proof };
}
