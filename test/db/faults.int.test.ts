import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { FaultLoad, FAULT_ACCOUNTS } from '../support/fault-load.ts';
import { privateCluster, removeAllClusters } from '../support/pg-cluster.ts';
import { call, startServer, stopAllServers, type Json, type Server } from '../support/server.ts';

// The fault suite: rounds of kill -9 of PostgreSQL, of the API process, and of both, under
// writers that retry with the same ids until they get a final answer (test/support/fault-load.ts):
// transfers, batches, and spends from a noOverdraft wallet that others fund. PostgreSQL is a
// cluster of the test's own with fsync, synchronous_commit and full_page_writes on. After every
// round: every acknowledged write is in the log once, at its acknowledged position; no refused
// write is; positions are gapless; the chain verifies; debits equal credits; the wallet is never
// below zero at any position; answers pinned to earlier positions are byte-identical to what they
// were before the round; and the API process is the same one unless the test killed it.
//
// `npm test` runs FAULT_ROUNDS=3 (one of each fault); `npm run test:faults` runs 20.
// FAULT_WRITERS (default 20) sets the writers.

const url = process.env.DATABASE_URL;
const ROUNDS = Number(process.env.FAULT_ROUNDS ?? 3);
const WRITERS = Number(process.env.FAULT_WRITERS ?? 20);
const FAULTS = ['postgres', 'api', 'both'] as const;
type Fault = (typeof FAULTS)[number];
/** Answers pinned to a position are also pinned to this effective time, so they never change. */
const EFFECTIVE_AS_OF = '2099-12-31T00:00:00Z';

afterAll(async () => {
  stopAllServers();
  await removeAllClusters();
});

interface RoundRow {
  round: number;
  fault: Fault;
  acknowledged: number;
  refused: number;
  lost: number;
  doubled: number;
  'recovery s': number;
  '503s': number;
  'slowest 503 ms': number;
}

/** The API process under test, started again after the test kills it, and never otherwise gone. */
class Api {
  server!: Server;
  /** Set when a process exits that the test did not kill. */
  unexpectedExit: string | null = null;
  private readonly killed = new Set<Server>();
  private readonly env: Record<string, string>;

  constructor(env: Record<string, string>) {
    this.env = env;
  }

  async start(): Promise<void> {
    const server = await startServer(this.env);
    void server.exited.then((code) => {
      if (!this.killed.has(server)) this.unexpectedExit ??= `the API process ${server.pid} exited (${code}) on its own:\n${server.stderr()}\n${server.lines.slice(-20).join('\n')}`;
    });
    this.server = server;
  }

  async kill(): Promise<void> {
    this.killed.add(this.server);
    await this.server.crash();
  }
}

/** Everything the checks after a round need to remember: the log read so far, and pinned answers. */
class Books {
  readonly events: Json[] = [];
  private readonly pinned = new Map<string, string>();
  private readonly api: Api;
  private readonly key: string;
  private readonly ledgerPath: string;

  constructor(api: Api, key: string, ledgerId: string) {
    this.api = api;
    this.key = key;
    this.ledgerPath = `/v1/ledgers/${ledgerId}`;
  }

  async get(path: string): Promise<{ status: number; body: Json; text: string }> {
    const response = await fetch(`http://127.0.0.1:${this.api.server.port}${this.ledgerPath}${path}`, {
      headers: { Authorization: `Bearer ${this.key}` }, signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text) as Json, text };
  }

  /** Reads answers pinned to `position`, to compare after the round. */
  async pin(position: number): Promise<void> {
    const at = `recordedAsOfPosition=${position}&effectiveAsOf=${EFFECTIVE_AS_OF}`;
    const paths = [
      `/accounts/wallet/balance?${at}`, `/accounts/payees/balance?${at}`, `/balances?${at}`,
      `/accounts/wallet/entries?${at}&effectiveTo=${EFFECTIVE_AS_OF}&limit=100`, `/transactions?${at}&limit=50`,
    ];
    for (const path of paths) {
      const answer = await this.get(path);
      expect(answer.status, `${path}: ${answer.text}`).toBe(200);
      this.pinned.set(path, answer.text);
    }
  }

  /** Every answer pinned so far, asked again: the same bytes. */
  async expectPinnedUnchanged(): Promise<void> {
    for (const [path, before] of this.pinned) expect((await this.get(path)).text, path).toBe(before);
  }

  /** The log from the last position read to the head; the head. */
  async readLog(): Promise<number> {
    for (;;) {
      const page = await this.get(`/events?after=${this.events.length}&limit=1000`);
      expect(page.status, page.text).toBe(200);
      this.events.push(...(page.body.events as Json[]));
      if (this.events.length >= (page.body.head as number)) return page.body.head as number;
    }
  }
}

/** Cents of a decimal string, exactly. */
const centsOf = (amount: string) => {
  const [whole, fraction = ''] = amount.split('.');
  return BigInt(whole! + fraction.padEnd(2, '0').slice(0, 2));
};

/** The checks after a round; the lost and doubled writes, counted for the table before they fail it. */
async function checkRound(books: Books, load: FaultLoad): Promise<{ lost: number; doubled: number }> {
  const head = await books.readLog();
  expect(books.events.map((e) => e.position)).toEqual(books.events.map((_, i) => i + 1));
  const recorded = books.events.filter((e) => e.type === 'TransactionRecorded');
  const positionOf = new Map<string, number>();
  let doubled = 0;
  for (const e of recorded) {
    if (positionOf.has(e.data.id as string) || !load.acks.has(e.data.id as string)) doubled++;
    positionOf.set(e.data.id as string, e.position as number);
  }
  let lost = 0;
  for (const [id, position] of load.acks) if (positionOf.get(id) !== position) lost++;
  for (const id of load.refused) if (positionOf.has(id)) doubled++;

  const verify = await books.get('/verify');
  expect(verify.body).toEqual({ ok: true, checkedThrough: head, firstBadPosition: null });
  const balances = await books.get(`/balances?effectiveAsOf=${EFFECTIVE_AS_OF}`);
  for (const total of balances.body.totals as Json[]) expect(total.debits, total.currency).toBe(total.credits);

  // The noOverdraft wallet, folded position by position (every write is dated when recorded).
  let wallet = 0n;
  for (const e of recorded) {
    for (const p of e.data.postings as Json[]) {
      if (p.accountId !== 'wallet') continue;
      wallet += p.direction === 'credit' ? centsOf(p.amount as string) : -centsOf(p.amount as string);
    }
    expect(wallet >= 0n, `the wallet is below zero at position ${e.position}`).toBe(true);
  }
  const walletNow = await books.get(`/accounts/wallet/balance?effectiveAsOf=${EFFECTIVE_AS_OF}`);
  expect(centsOf(walletNow.body.availableBalance as string)).toBe(wallet);
  await books.expectPinnedUnchanged();
  return { lost, doubled };
}

describe.skipIf(!url)(`kill -9 in rounds under ${WRITERS} writers, on a durable PostgreSQL`, () => {
  it(`${ROUNDS} rounds lose, double and change nothing, and the API outlives its database`, { timeout: 120_000 + ROUNDS * 90_000 }, async () => {
    const cluster = await privateCluster({ PG_TEST_DURABLE: '1' });
    const key = `lk_${randomBytes(24).toString('base64url')}`;
    const api = new Api({ DATABASE_URL: await cluster.script('start'), LEDGER_BOOTSTRAP_ADMIN_KEY: key, LEDGER_RATE_LIMIT: '0' });
    await api.start();
    const ledgerId = 'faults';
    expect((await call(api.server, key, 'POST', '/v1/ledgers', { id: ledgerId, name: 'Faults' })).status).toBe(201);
    for (const account of FAULT_ACCOUNTS) expect((await call(api.server, key, 'POST', `/v1/ledgers/${ledgerId}/accounts`, account)).status).toBe(201);

    const books = new Books(api, key, ledgerId);
    const load = new FaultLoad({ port: () => api.server.port, key, ledgerId }, WRITERS);
    const table: RoundRow[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const fault = FAULTS[(round - 1) % FAULTS.length]!;
      await books.pin(await books.readLog());
      const before = { acks: load.acks.size, refused: load.refused.size, unavailable: load.unavailable };
      load.slowest503Ms = 0;
      load.start();
      await load.untilMoreAnswers(WRITERS * 2);
      const pid = api.server.pid;
      if (fault === 'postgres') {
        await cluster.script('crash');
        await sleep(300);
        await cluster.script('up');
      } else if (fault === 'api') {
        await api.kill();
        await api.start();
      } else {
        await Promise.all([api.kill(), cluster.script('crash')]);
        await cluster.script('up');
        await api.start();
      }
      const backAtMs = Date.now();
      await load.untilMoreAnswers(WRITERS * 3);
      await load.stop();
      expect(api.unexpectedExit).toBeNull();
      if (fault === 'postgres') expect(api.server.pid).toBe(pid);
      const { lost, doubled } = await checkRound(books, load);
      table.push({
        round, fault, acknowledged: load.acks.size - before.acks, refused: load.refused.size - before.refused, lost, doubled,
        'recovery s': Math.round((load.firstSuccessSentAfter(backAtMs)! - backAtMs) / 10) / 100,
        '503s': load.unavailable - before.unavailable, 'slowest 503 ms': load.slowest503Ms,
      });
      console.log(JSON.stringify(table.at(-1)));
      expect({ lost, doubled }).toEqual({ lost: 0, doubled: 0 });
      expect(load.slowest503Ms, 'a 503 took a second or more').toBeLessThan(1000);
    }
    console.table(table);
    console.log(`${WRITERS} writers: ${load.acks.size} writes acknowledged, ${load.refused.size} refused, ${load.replays} replays of writes recorded but not answered, ${load.unreachable} failed connections`);
    expect(load.refused.size, 'some spends were refused: the noOverdraft check was exercised').toBeGreaterThan(0);
  });
});
