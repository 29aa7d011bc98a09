import { bytesToHex, hexToBytes } from '../domain/bytes.ts';
import { asyncMerkleHashes, consistencyHolds, inclusionHolds, webCryptoSha256, type ConsistencyProof, type InclusionProof } from '../domain/merkle-proof.ts';
import type { Checkpoint } from './signed-note.ts';

/**
 * Checks of proofs against signed checkpoints, for verifiers that trust nothing but a verifier
 * key: `npm run verify`, the typed client, the feed follower and the auditor console (in the
 * browser: no Node import, WebCrypto's SHA-256). Each answers null when the check passes, or why
 * not. (Opening a signed checkpoint is signed-note.ts's `openCheckpoint`.)
 */

const HASH = /^[0-9a-f]{64}$/;

const hashes = (values: readonly unknown[]) => values.every((v) => typeof v === 'string' && HASH.test(v));
/** 64 lowercase hex digits (checked by `hashes`) as bytes. */
const bytesOf = (hex: string) => hexToBytes(hex)!;

/** The leaf hash of an event, SHA-256(0x00 || the 32 bytes of its `hash`), as hex; null when `eventHash` is not 64 hex digits. */
export async function eventLeafHex(eventHash: string): Promise<string | null> {
  return HASH.test(eventHash) ? bytesToHex(await asyncMerkleHashes(webCryptoSha256).leafHash(bytesOf(eventHash))) : null;
}

/**
 * An inclusion proof against a checkpoint of its tree size. With `eventHash` (the `hash` of the
 * event as read, already checked against its content), the proof's leaf must be that event's.
 */
export async function checkInclusion(proof: InclusionProof, checkpoint: Checkpoint, eventHash?: string): Promise<string | null> {
  if (!hashes([proof.leafHash, proof.rootHash, ...proof.auditPath, checkpoint.rootHash]) || !Number.isSafeInteger(proof.position)) return 'the proof is malformed';
  if (proof.treeSize !== checkpoint.treeSize) return `the proof is for tree size ${proof.treeSize}, the checkpoint for ${checkpoint.treeSize}`;
  if (eventHash !== undefined && (await eventLeafHex(eventHash)) !== proof.leafHash) return `the event's leaf hash is not the proof's`;
  if (!(await inclusionHolds(webCryptoSha256, proof.position - 1, proof.treeSize, bytesOf(proof.leafHash), proof.auditPath.map(bytesOf), bytesOf(checkpoint.rootHash)))) {
    return `the audit path does not lead from position ${proof.position} to the root of the tree of size ${checkpoint.treeSize}`;
  }
  return null;
}

/** A consistency proof from a checkpoint to a later one (or, without it, to the proof's own `toRoot`). */
export async function checkConsistency(proof: ConsistencyProof, older: Checkpoint, newer?: Checkpoint): Promise<string | null> {
  if (!hashes([proof.fromRoot, proof.toRoot, ...proof.proof, older.rootHash, newer?.rootHash ?? proof.toRoot])) return 'the proof is malformed';
  if (proof.from !== older.treeSize) return `the proof is from tree size ${proof.from}, the checkpoint is of ${older.treeSize}`;
  if (newer && proof.to !== newer.treeSize) return `the proof is to tree size ${proof.to}, the later checkpoint is of ${newer.treeSize}`;
  const toRoot = newer ? newer.rootHash : proof.toRoot;
  if (!(await consistencyHolds(webCryptoSha256, proof.from, proof.to, bytesOf(older.rootHash), bytesOf(toRoot), proof.proof.map(bytesOf)))) {
    return `the tree of size ${proof.to} is not shown to extend the checkpoint's tree of size ${proof.from}`;
  }
  return null;
}
