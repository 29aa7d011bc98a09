import { eventLeafHash, fromHex, toHex, verifyConsistency, verifyInclusion } from './merkle-tree.ts';
import type { ConsistencyProof, InclusionProof } from './proofs.ts';
import type { Checkpoint } from './signed-note.ts';

/**
 * Checks of proofs against signed checkpoints, for verifiers that trust nothing but a verifier
 * key: `npm run verify`, the typed client. Each answers null when the check passes, or why not.
 * (Opening a signed checkpoint is signed-note.ts's `openCheckpoint`.)
 */

const HASH = /^[0-9a-f]{64}$/;

const hashes = (values: readonly unknown[]) => values.every((v) => typeof v === 'string' && HASH.test(v));

/**
 * An inclusion proof against a checkpoint of its tree size. With `eventHash` (the `hash` of the
 * event as read, already checked against its content), the proof's leaf must be that event's.
 */
export function checkInclusion(proof: InclusionProof, checkpoint: Checkpoint, eventHash?: string): string | null {
  if (!hashes([proof.leafHash, proof.rootHash, ...proof.auditPath])) return 'the proof is malformed';
  if (proof.treeSize !== checkpoint.treeSize) return `the proof is for tree size ${proof.treeSize}, the checkpoint for ${checkpoint.treeSize}`;
  if (eventHash !== undefined && toHex(eventLeafHash(eventHash)) !== proof.leafHash) return `the event's leaf hash is not the proof's`;
  const leaf = eventHash === undefined ? fromHex(proof.leafHash) : eventLeafHash(eventHash);
  if (!verifyInclusion(proof.position - 1, proof.treeSize, leaf, proof.auditPath.map(fromHex), fromHex(checkpoint.rootHash))) {
    return `the audit path does not lead from position ${proof.position} to the checkpoint's root`;
  }
  return null;
}

/** A consistency proof from a checkpoint to a later one (or, without it, to the proof's own `toRoot`). */
export function checkConsistency(proof: ConsistencyProof, older: Checkpoint, newer?: Checkpoint): string | null {
  if (!hashes([proof.fromRoot, proof.toRoot, ...proof.proof])) return 'the proof is malformed';
  if (proof.from !== older.treeSize) return `the proof is from tree size ${proof.from}, the checkpoint is of ${older.treeSize}`;
  if (newer && proof.to !== newer.treeSize) return `the proof is to tree size ${proof.to}, the later checkpoint is of ${newer.treeSize}`;
  const toRoot = newer ? newer.rootHash : proof.toRoot;
  if (!verifyConsistency(proof.from, proof.to, fromHex(older.rootHash), fromHex(toRoot), proof.proof.map(fromHex))) {
    return `the tree of size ${proof.to} is not shown to extend the checkpoint's tree of size ${proof.from}`;
  }
  return null;
}
