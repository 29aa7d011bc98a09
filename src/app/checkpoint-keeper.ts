import type { RecordedEvent } from '../domain/events.ts';
import type { LedgerStore } from './ports.ts';

/** What the keeper needs of the store: build an account's balance checkpoints up to a position. */
export type CheckpointBuilder = Pick<LedgerStore, 'buildCheckpoints'>;

/** Calls of `buildCheckpoints` for one account in one go, at most: each builds a bounded number. */
const MAX_ROUNDS = 1000;

/** Accounts counted at once, by default: past it the counts start again, so memory stays bounded. */
export const MAX_COUNTED_ACCOUNTS = 100_000;

/**
 * Keeps balance checkpoints (sql/009) built off the request path. It counts, for each account,
 * the posted postings this process commits; once an account has had `every` of them since it was
 * last seen to, it builds the account's checkpoints up to the ledger's head in the background, one
 * account at a time, on the pool like any query. Reads and the noOverdraft check then find a short
 * tail after the last checkpoint and build nothing while a client waits, however fast the account
 * grows (a bulk import included).
 *
 * Only what this process commits is counted: after a restart, or for the writes of other
 * processes, a read still builds what its tail calls for (at most 100 checkpoints a call). A build
 * that fails (the database gone) is dropped; the account is queued again once it has had `every`
 * more postings, and reads build meanwhile. Builds are idempotent (`on conflict do nothing`), so
 * two processes building one account only repeat work.
 */
export class CheckpointKeeper {
  private readonly store: CheckpointBuilder;
  private readonly every: number;
  private readonly onError: (error: unknown) => void;
  /** Postings committed per account since it was last queued: key `ledger \0 account`. */
  private readonly counts = new Map<string, number>();
  /** Accounts waiting for a build, with the head to build up to; in queue order. */
  private readonly queue = new Map<string, { ledgerId: string; accountId: string; position: number }>();
  private running: Promise<void> | null = null;
  private closed = false;

  private readonly maxCounted: number;

  /**
   * `every`: the checkpoint spacing (the store's). At most `maxCounted` accounts are counted at
   * once; past that the counts start again from zero (a ledger of millions of accounts, each
   * with a few postings, would otherwise hold them all), and reads build for what is lost.
   */
  constructor(store: CheckpointBuilder, every: number, onError: (error: unknown) => void = () => {}, maxCounted = MAX_COUNTED_ACCOUNTS) {
    this.store = store;
    this.every = every;
    this.onError = onError;
    this.maxCounted = maxCounted;
  }

  /** Takes note of a commit's events: the group committer calls it after each commit. */
  committed(ledgerId: string, events: readonly RecordedEvent[]): void {
    if (this.closed || this.every <= 0 || events.length === 0) return;
    const position = events[events.length - 1]!.position;
    for (const account of postedAccounts(events)) {
      const key = `${ledgerId}\u0000${account.accountId}`;
      const count = (this.counts.get(key) ?? 0) + account.postings;
      if (count < this.every) {
        if (!this.counts.has(key) && this.counts.size >= this.maxCounted) this.counts.clear();
        this.counts.set(key, count);
        continue;
      }
      this.counts.delete(key);
      this.queue.delete(key); // to the back, with the newer head
      this.queue.set(key, { ledgerId, accountId: account.accountId, position });
    }
    if (!this.running && this.queue.size > 0) this.running = this.work().finally(() => (this.running = null));
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

  /** Builds for each queued account in turn, until the queue is empty. */
  private async work(): Promise<void> {
    for (let next = this.shift(); next; next = this.shift()) {
      try {
        // Each call builds a bounded number of checkpoints and answers the latest: again until it stays.
        let checkpoint = -1;
        for (let round = 0; round < MAX_ROUNDS && !this.closed; round++) {
          const built = await this.store.buildCheckpoints(next.ledgerId, next.accountId, next.position);
          if (built === checkpoint) break;
          checkpoint = built;
        }
      } catch (error) {
        this.onError(error);
      }
    }
  }

  private shift() {
    const first = this.queue.entries().next();
    if (first.done) return undefined;
    this.queue.delete(first.value[0]);
    return first.value[1];
  }
}

/** The accounts the events post to (holds do not count: checkpoints hold posted sums), with how many postings each. */
function postedAccounts(events: readonly RecordedEvent[]): { accountId: string; postings: number }[] {
  const counts = new Map<string, number>();
  for (const { event } of events) {
    const postings = event.type === 'TransactionRecorded' && event.data.status === 'posted'
      ? event.data.postings
      : event.type === 'HoldPosted' ? event.data.postings : [];
    for (const p of postings) counts.set(p.accountId, (counts.get(p.accountId) ?? 0) + 1);
  }
  return [...counts].map(([accountId, postings]) => ({ accountId, postings }));
}
