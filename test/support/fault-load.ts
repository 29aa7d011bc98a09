import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { Json } from './server.ts';

// Writers for fault tests, as careful clients write: every write has an id, and a write whose
// answer is not final (a refused or cut connection, 503) is sent again, the same, until it is.
// Final answers are 201, 200 with Idempotent-Replayed (an earlier try recorded it), and 422
// INSUFFICIENT_FUNDS (a spend from the noOverdraft wallet refused). Anything else is a defect
// and fails the test at once.

/** How long one try may take before the writer gives up on it and tries again. */
const TRY_TIMEOUT_MS = 30_000;
/** A write that has had no final answer for this long fails the test. */
const GIVE_UP_MS = 120_000;
/** The pause before trying again, 25 to 75 ms: short, to press on the service while it recovers. */
const retryPauseMs = () => 25 + Math.random() * 50;
const BATCH_SIZE = 10;
/** Every fourth batch is large: it takes the ledger's lock first and goes as COPY on PostgreSQL. */
const LARGE_BATCH_SIZE = 80;

/** The accounts the load writes to: `wallet` is noOverdraft, spent by some writers, funded by others. */
export const FAULT_ACCOUNTS: readonly Json[] = [
  { id: 'bank', normalBalance: 'debit', currency: 'USD' },
  { id: 'wallet', normalBalance: 'credit', currency: 'USD', noOverdraft: true },
  { id: 'merchant', normalBalance: 'credit', currency: 'USD' },
  { id: 'payees', normalBalance: 'credit', currency: 'USD' },
];

export type Role = 'transfer' | 'spend' | 'fund' | 'batch';

/** Writer w's role: of every ten, one sends batches, three spend from the wallet, one funds it. */
export function roleOf(writer: number): Role {
  const slot = writer % 10;
  return slot === 0 ? 'batch' : slot <= 3 ? 'spend' : slot === 4 ? 'fund' : 'transfer';
}

export interface Ack {
  readonly id: string;
  readonly position: number;
}

export interface LoadTarget {
  /** The port of the API process serving now (it changes when the test starts another). */
  port(): number;
  readonly key: string;
  readonly ledgerId: string;
}

interface Try {
  readonly status: number;
  readonly body: Json;
  readonly replayed: boolean;
}

/** Writers and everything they saw. */
export class FaultLoad {
  readonly acks = new Map<string, number>();
  readonly refused = new Set<string>();
  /** Answers that were not final, by kind. */
  unreachable = 0;
  unavailable = 0;
  /** The slowest 503, in ms: while the database is down, the service must refuse at once. */
  slowest503Ms = 0;
  replays = 0;
  /** When the last final success came, and when its request was sent. */
  private successes: { sentAtMs: number; answeredAtMs: number }[] = [];
  private stopping = false;
  private running: Promise<void> | null = null;
  /** The first writer's failure: it stops every writer and fails whoever waits on them. */
  private failure: unknown = null;
  private readonly counters: number[];
  private readonly target: LoadTarget;
  private readonly writers: number;

  constructor(target: LoadTarget, writers: number) {
    this.target = target;
    this.writers = writers;
    this.counters = Array.from({ length: writers }, () => 0);
  }

  /** Starts the writers; each writes until `stop`. */
  start(): void {
    this.stopping = false;
    this.running = Promise.all(Array.from({ length: this.writers }, async (_, w) => {
      try {
        await this.writer(w);
      } catch (error) {
        this.failure ??= error;
        this.stopping = true;
      }
    })).then(() => {});
  }

  /** Lets each writer finish its write (to a final answer) and stops them. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
    if (this.failure) throw this.failure;
  }

  /** Resolves once `count` more writes than now have a final answer. */
  async untilMoreAnswers(count: number): Promise<void> {
    const target = this.answered() + count;
    while (this.answered() < target) {
      if (this.failure) throw this.failure;
      await sleep(5);
    }
  }

  /** When the first write sent after `sinceMs` succeeded, if one has. */
  firstSuccessSentAfter(sinceMs: number): number | undefined {
    return this.successes.find((s) => s.sentAtMs >= sinceMs)?.answeredAtMs;
  }

  answered(): number {
    return this.acks.size + this.refused.size;
  }

  private async writer(w: number): Promise<void> {
    const role = roleOf(w);
    while (!this.stopping) {
      const n = this.counters[w]!++;
      if (role === 'batch') await this.batch(`b${w}-${n}`, n % 2 === 0, n % 4 === 1 ? LARGE_BATCH_SIZE : BATCH_SIZE);
      else if (role === 'spend') await this.single(transfer(`s${w}-${n}`, 'wallet', 'merchant', amount(1, 20, w + n)));
      else if (role === 'fund') await this.single(transfer(`f${w}-${n}`, 'bank', 'wallet', amount(5, 40, w + n)));
      else await this.single(transfer(`t${w}-${n}`, 'bank', 'payees', amount(1, 100, w + n)));
    }
  }

  private async single(tx: Json): Promise<void> {
    const answer = await this.untilFinal('/transactions', tx);
    if (answer.status === 422) {
      expect(answer.body.code, JSON.stringify(answer.body)).toBe('INSUFFICIENT_FUNDS');
      expect(tx.id as string).toMatch(/^s/);
      this.refused.add(tx.id as string);
      return;
    }
    this.ack(tx.id as string, answer.body.position as number);
  }

  private async batch(id: string, atomic: boolean, size: number): Promise<void> {
    const items = Array.from({ length: size }, (_, i) => transfer(`${id}-${i}`, 'bank', 'payees', amount(1, 50, i)));
    const answer = await this.untilFinal('/transactions/batch', { atomic, transactions: items });
    (answer.body.results as Json[]).forEach((result, i) => {
      expect([201, 200], JSON.stringify(result)).toContain(result.status);
      if (result.status === 200) this.replays++;
      this.ack(items[i]!.id as string, result.transaction.position as number);
    });
  }

  private ack(id: string, position: number): void {
    expect(this.acks.has(id), `${id} acknowledged twice`).toBe(false);
    this.acks.set(id, position);
  }

  /** POSTs `body` until the answer is final. */
  private async untilFinal(path: string, body: Json): Promise<Try> {
    const firstTryMs = Date.now();
    for (;;) {
      if (Date.now() - firstTryMs > GIVE_UP_MS) throw new Error(`no final answer for ${path} ${JSON.stringify(body).slice(0, 80)} in ${GIVE_UP_MS} ms`);
      const sentAtMs = Date.now();
      let answer: Try;
      try {
        answer = await this.send(path, body);
      } catch {
        this.unreachable++; // the process is down, or was killed while answering
        await sleep(retryPauseMs());
        continue;
      }
      if (answer.status === 503) {
        this.unavailable++;
        this.slowest503Ms = Math.max(this.slowest503Ms, Date.now() - sentAtMs);
        await sleep(retryPauseMs());
        continue;
      }
      const batchDone = path.endsWith('/batch') && answer.status === 200;
      if (answer.status === 201 || (answer.status === 200 && (answer.replayed || batchDone)) || answer.status === 422) {
        if (answer.replayed) this.replays++;
        if (answer.status !== 422) this.successes.push({ sentAtMs, answeredAtMs: Date.now() });
        return answer;
      }
      throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }

  private async send(path: string, body: Json): Promise<Try> {
    const response = await fetch(`http://127.0.0.1:${this.target.port()}/v1/ledgers/${this.target.ledgerId}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.target.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(TRY_TIMEOUT_MS),
    });
    return { status: response.status, body: (await response.json()) as Json, replayed: response.headers.get('idempotent-replayed') === 'true' };
  }
}

function transfer(id: string, from: string, to: string, value: string): Json {
  return { id, postings: [{ accountId: from, direction: 'debit', amount: value }, { accountId: to, direction: 'credit', amount: value }] };
}

/** A USD amount from `low` to `high`, varied by `seed`, as a decimal string. */
function amount(low: number, high: number, seed: number): string {
  const cents = low * 100 + ((seed * 7919) % ((high - low) * 100 + 1));
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}
