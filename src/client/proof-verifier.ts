import { checkConsistency, checkInclusion } from '../app/proof-check.ts';
import { openCheckpoint, verifierFromKey, type Checkpoint, type NoteVerifier } from '../app/signed-note.ts';
import type { LedgerClient } from './ledger-client.ts';

// Checks what a client reads against the ledger's signed checkpoints (spec section 12,
// docs/proofs.md), trusting only the verifier key it is given: each new checkpoint must carry a
// valid signature and extend the one trusted before (a consistency proof); an event read must be
// in the tree of a trusted checkpoint (an inclusion proof of its own hash). An event proven so
// proves every event before it too, through the hash chain its hash closes.

/** A proof that failed: what the service gave cannot be shown to be what it signed. */
export class ProofFailed extends Error {
  readonly position: number;

  constructor(ledgerId: string, position: number, why: string) {
    super(`ledger ${ledgerId}, position ${position}: ${why}`);
    this.name = 'ProofFailed';
    this.position = position;
  }
}

export class ProofVerifier {
  private readonly client: LedgerClient;
  private readonly ledgerId: string;
  private readonly verifier: NoteVerifier;
  private trusted: Checkpoint | undefined;

  /** `trusted`: a checkpoint kept from before (e.g. published outside), that every later one must extend. */
  private constructor(client: LedgerClient, ledgerId: string, verifier: NoteVerifier, trusted?: Checkpoint) {
    this.client = client;
    this.ledgerId = ledgerId;
    this.verifier = verifier;
    this.trusted = trusted;
  }

  static async create(client: LedgerClient, ledgerId: string, verifierKey: string, trusted?: Checkpoint): Promise<ProofVerifier> {
    return new ProofVerifier(client, ledgerId, await verifierFromKey(verifierKey), trusted);
  }

  /** The latest checkpoint trusted: signed, and shown to extend every one trusted before. */
  get checkpoint(): Checkpoint | undefined {
    return this.trusted;
  }

  /** A trusted checkpoint of at least `treeSize` events: the one held, or the service's latest, checked. */
  async checkpointOf(treeSize: number): Promise<Checkpoint> {
    if (this.trusted && this.trusted.treeSize >= treeSize) return this.trusted;
    const { checkpoint: note } = await this.client.digest(this.ledgerId);
    if (!note) throw new ProofFailed(this.ledgerId, treeSize, 'the service signs no checkpoint');
    const latest = await openCheckpoint(note, this.verifier, this.ledgerId);
    if (typeof latest === 'string') throw new ProofFailed(this.ledgerId, treeSize, latest);
    if (latest.treeSize < treeSize) throw new ProofFailed(this.ledgerId, treeSize, `the latest checkpoint is of ${latest.treeSize} events only`);
    if (this.trusted) {
      const proof = await this.client.consistencyProof(this.ledgerId, this.trusted.treeSize, latest.treeSize);
      const why = await checkConsistency(proof, this.trusted, latest);
      if (why) throw new ProofFailed(this.ledgerId, this.trusted.treeSize + 1, why);
    }
    this.trusted = latest;
    return latest;
  }

  /** Proves an event read (its `hash` already checked against its content) is in a trusted checkpoint's tree. */
  async proveEvent(event: { readonly position: number; readonly hash: string }): Promise<Checkpoint> {
    const checkpoint = await this.checkpointOf(event.position);
    const proof = await this.client.inclusionProof(this.ledgerId, event.position, checkpoint.treeSize);
    const why = await checkInclusion(proof, checkpoint, event.hash);
    if (why) throw new ProofFailed(this.ledgerId, event.position, why);
    return checkpoint;
  }
}
