import { LedgerProblem, LedgerUnreachable, type LedgerClient, type TransactionInput } from './ledger-client.ts';

// An offline outbox: writes are queued durably with their Idempotency-Key fixed at queue time,
// and sent in order whenever the service can be reached. A write whose answer was lost is sent
// again with the same key, so the service records it once; a write the service refuses (4xx) is
// settled as refused and the queue goes on. Nothing queued is lost while the store keeps it.

/** A write waiting to be sent. */
export interface OutboxEntry {
  /** Its Idempotency-Key: the same on every try, across restarts of the client. */
  readonly key: string;
  readonly path: string;
  readonly body: unknown;
  readonly queuedAt: string;
}

export type OutboxOutcome =
  | { readonly key: string; readonly result: 'recorded'; readonly replayed: boolean; readonly body: unknown }
  | { readonly key: string; readonly result: 'refused'; readonly status: number; readonly problem: unknown };

/** Where the outbox keeps its entries; `add` and `settle` must be durable when they resolve. */
export interface OutboxStore {
  /** The entries added and not settled, in the order they were added. */
  pending(): Promise<OutboxEntry[]>;
  add(entry: OutboxEntry): Promise<void>;
  settle(outcome: OutboxOutcome): Promise<void>;
}

/** A store in memory: for tests, and for clients that may lose their queue with their process. */
export function memoryOutboxStore(): OutboxStore & { readonly outcomes: OutboxOutcome[] } {
  const entries: OutboxEntry[] = [];
  const outcomes: OutboxOutcome[] = [];
  return {
    outcomes,
    async pending() {
      const settled = new Set(outcomes.map((o) => o.key));
      return entries.filter((e) => !settled.has(e.key));
    },
    async add(entry) {
      entries.push(entry);
    },
    async settle(outcome) {
      outcomes.push(outcome);
    },
  };
}

export interface FlushResult {
  readonly settled: readonly OutboxOutcome[];
  /** Entries still queued: the service could not be reached for the first of them. */
  readonly remaining: number;
}

export class Outbox {
  private readonly client: LedgerClient;
  private readonly store: OutboxStore;
  private flushing: Promise<FlushResult> | undefined;

  constructor(client: LedgerClient, store: OutboxStore) {
    this.client = client;
    this.store = store;
  }

  /** Queues a POST of `body` to `path` (under the service's base URL); durable when it resolves. */
  async enqueue(path: string, body: unknown, key = `ik_${crypto.randomUUID()}`): Promise<OutboxEntry> {
    const entry: OutboxEntry = { key, path, body, queuedAt: new Date().toISOString() };
    await this.store.add(entry);
    return entry;
  }

  /** Queues a transaction; its `id`, when it has one, stays its idempotency key on the service. */
  recordTransaction(ledgerId: string, input: TransactionInput, key?: string): Promise<OutboxEntry> {
    return this.enqueue(`/v1/ledgers/${encodeURIComponent(ledgerId)}/transactions`, input, key);
  }

  /** Sends what is queued, in order, until the queue is empty or the service cannot be reached. */
  flush(): Promise<FlushResult> {
    this.flushing ??= this.sendPending().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async sendPending(): Promise<FlushResult> {
    const pending = await this.store.pending();
    const settled: OutboxOutcome[] = [];
    for (const [index, entry] of pending.entries()) {
      const outcome = await this.send(entry);
      if (!outcome) return { settled, remaining: pending.length - index };
      await this.store.settle(outcome);
      settled.push(outcome);
    }
    return { settled, remaining: 0 };
  }

  /** The entry's final outcome, or undefined when there is none yet. */
  private async send(entry: OutboxEntry): Promise<OutboxOutcome | undefined> {
    try {
      const { body, replayed } = await this.client.request('POST', entry.path, entry.body, { idempotencyKey: entry.key });
      return { key: entry.key, result: 'recorded', replayed, body };
    } catch (error) {
      if (error instanceof LedgerUnreachable) return undefined;
      if (error instanceof LedgerProblem) return { key: entry.key, result: 'refused', status: error.status, problem: error.problem };
      throw error;
    }
  }
}
