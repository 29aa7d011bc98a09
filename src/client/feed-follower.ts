import { CHAIN_START, checkChain, type ChainCursor } from '../app/hash-chain.ts';
import { eventFromFeed } from '../app/feed-json.ts';
import type { FeedEvent, LedgerClient } from './ledger-client.ts';
import type { ProofVerifier } from './proof-verifier.ts';

// Follows a ledger's feed from a checkpoint: pages of "the next N after X", each event checked
// against the hash chain before the handler sees it, and the checkpoint saved after the handler
// is done. A crash between the two hands the same events to the handler again (at least once),
// so a handler that keys its effects by position applies each event exactly once.

/** Where a follower keeps the last position it handled and that event's hash. */
export interface CheckpointStore {
  load(): Promise<ChainCursor | undefined>;
  save(cursor: ChainCursor): Promise<void>;
}

export function memoryCheckpointStore(start?: ChainCursor): CheckpointStore & { cursor(): ChainCursor | undefined } {
  let saved = start;
  return {
    cursor: () => saved,
    load: async () => saved,
    save: async (cursor) => {
      saved = cursor;
    },
  };
}

/** The feed broke the hash chain: an event was changed, dropped, reordered or inserted. */
export class FeedChainBroken extends Error {
  readonly position: number;

  constructor(ledgerId: string, position: number) {
    super(`the feed of ledger ${ledgerId} breaks the hash chain at position ${position}`);
    this.name = 'FeedChainBroken';
    this.position = position;
  }
}

export interface FollowOptions {
  readonly client: LedgerClient;
  readonly ledgerId: string;
  readonly checkpoints: CheckpointStore;
  /** Handles one page of events, in order; the checkpoint moves past them once it resolves. */
  readonly handle: (events: readonly FeedEvent[]) => Promise<void>;
  /** Events per page (default 1000, the most the service gives). */
  readonly pageSize?: number;
  /** The wait before asking again once caught up (default 1 s). */
  readonly pollMs?: number;
  /** Return once caught up with the head instead of waiting for more. */
  readonly untilCaughtUp?: boolean;
  readonly signal?: AbortSignal;
  /**
   * With it, each page is proven before it is handled: its last event is in the tree of a signed
   * checkpoint (which extends the ones before), so with the chain the whole page is (ProofFailed if not).
   */
  readonly proofs?: ProofVerifier;
}

/** Follows the feed until `signal` aborts (or it is caught up, with `untilCaughtUp`); answers the checkpoint. */
export async function followFeed(options: FollowOptions): Promise<ChainCursor> {
  const { client, ledgerId, checkpoints, signal } = options;
  let cursor = (await checkpoints.load()) ?? CHAIN_START;
  while (!signal?.aborted) {
    const { events, head } = await client.events(ledgerId, cursor.position, options.pageSize ?? 1000);
    if (events.length > 0) {
      const checked = checkChain(cursor, events.map((e) => eventFromFeed({ ...e })));
      if (checked.firstBadPosition !== null) throw new FeedChainBroken(ledgerId, checked.firstBadPosition);
      await options.proofs?.proveEvent(checked.cursor);
      await options.handle(events);
      cursor = checked.cursor;
      await checkpoints.save(cursor);
    }
    const caughtUp = cursor.position >= head;
    if (caughtUp && options.untilCaughtUp) break;
    if (caughtUp || events.length === 0) await pause(options.pollMs ?? 1_000, signal);
  }
  return cursor;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
