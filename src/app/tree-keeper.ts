import type { RecordedEvent } from '../domain/events.ts';

/** What the keeper needs of the tree store: extend a ledger's stored tree (adapters/db/tree-store.ts). */
export interface TreeBuilder {
  build(ledgerId: string, maxBlocks: number): Promise<number>;
}

/** The keeper wakes when a commit crosses a multiple of this many events (16 blocks of 16, sql/014): one short build per 256 events. */
const EVERY = 256;
/** Blocks built per call: each call is one short statement. */
const BLOCKS_PER_CALL = 256;

/**
 * Keeps each ledger's Merkle tree (sql/014) built behind its log, off the write path: after a
 * commit that crosses a multiple of 256 events, it extends the ledger's stored tree in the
 * background, a bounded number of blocks per statement, until it covers the log. Proofs then read
 * stored subtrees only; a proof that finds the tree behind (by less than 256 events, or more after
 * a restart) builds the rest, up to 1024 blocks, or hashes the events past it (adapters/db/tree-store.ts). A build that fails (the database gone) is dropped: the next
 * commit's build, or a read, catches up.
 */
export class TreeKeeper {
  private readonly tree: TreeBuilder;
  private readonly onError: (error: unknown) => void;
  private readonly queue = new Set<string>();
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(tree: TreeBuilder, onError: (error: unknown) => void = () => {}) {
    this.tree = tree;
    this.onError = onError;
  }

  /** Takes note of a commit's events: the group committer calls it after each commit. */
  committed(ledgerId: string, events: readonly RecordedEvent[]): void {
    if (this.closed || events.length === 0) return;
    const first = events[0]!.position;
    const last = events[events.length - 1]!.position;
    if (Math.floor(last / EVERY) === Math.floor((first - 1) / EVERY)) return;
    this.queue.add(ledgerId);
    if (!this.running) this.running = this.work().finally(() => (this.running = null));
  }

  /** Resolves once nothing is queued or building. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Takes no more work and waits for the build in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.queue.clear();
    await this.idle();
  }

  private async work(): Promise<void> {
    for (let ledgerId = this.shift(); ledgerId !== undefined; ledgerId = this.shift()) {
      try {
        for (let built = -1; !this.closed;) {
          const now = await this.tree.build(ledgerId, BLOCKS_PER_CALL);
          if (now === built) break;
          built = now;
        }
      } catch (error) {
        this.onError(error);
      }
    }
  }

  private shift(): string | undefined {
    const first = this.queue.values().next();
    if (first.done) return undefined;
    this.queue.delete(first.value);
    return first.value;
  }
}
