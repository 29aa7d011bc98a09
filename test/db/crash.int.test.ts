import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { call, startServer, stopAllServers, type Json, type Server } from '../support/server.ts';

// kill -9 under load loses and doubles nothing, on the embedded database. Writers send
// transactions (singles and batches) to the real server over HTTP and retry every answer that is
// not final (a refused connection, a connection cut mid-answer, 503) with the same body, as the
// spec tells clients to. Meanwhile the API process, which holds PGlite, is killed with SIGKILL
// and started again. (On PostgreSQL, test/db/faults.int.test.ts does this and more.) Afterwards the
// feed holds every transaction exactly once, at the position its acknowledgement named, without
// a gap, the hash chain verifies, and the balances are the sums of what was acknowledged.
// Anything else (a 500, a 409 for a retried write) fails the test at once.

const WRITERS = 6;
const SINGLES_PER_WRITER = 40;
const BATCHES = 8;
const BATCH_SIZE = 10;
const TOTAL = WRITERS * SINGLES_PER_WRITER + BATCHES * BATCH_SIZE;
const REQUEST_TIMEOUT_MS = 20_000;
const GIVE_UP_MS = 90_000;

type Ack = { readonly id: string; readonly position: number; readonly amount: string };

/** Writers and what they saw, against whichever server process is current. */
class Load {
  readonly acks: Ack[] = [];
  /** Requests sent and not yet answered. */
  inFlight = 0;
  unavailable = 0;
  unreachable = 0;
  replays = 0;
  private readonly started = Date.now();
  private readonly server: () => Server;
  private readonly key: string;
  private readonly ledgerPath: string;

  constructor(server: () => Server, key: string, ledgerPath: string) {
    this.server = server;
    this.key = key;
    this.ledgerPath = ledgerPath;
  }

  /** POSTs `body` until the answer is final: 201, or 200 replaying what an earlier try recorded. */
  async post(path: string, body: unknown): Promise<{ status: number; body: Json }> {
    for (;;) {
      if (Date.now() - this.started > GIVE_UP_MS) throw new Error(`no final answer for ${path} after ${GIVE_UP_MS} ms`);
      let answer: { status: number; body: Json; replayed: boolean };
      this.inFlight++;
      try {
        const response = await fetch(`http://127.0.0.1:${this.server().port}${this.ledgerPath}${path}`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${this.key}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        answer = { status: response.status, body: (await response.json()) as Json, replayed: response.headers.get('idempotent-replayed') === 'true' };
      } catch {
        this.unreachable++; // the process is down, or was killed while answering
        await sleep(50);
        continue;
      } finally {
        this.inFlight--;
      }
      if (answer.status === 503) {
        this.unavailable++;
        await sleep(50);
        continue;
      }
      if (answer.status === 201 || (answer.status === 200 && (answer.replayed || path.endsWith('/batch')))) {
        if (answer.replayed) this.replays++;
        return answer;
      }
      throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
  }

  async single(writer: number, index: number) {
    const tx = transfer(`w${writer}-${index}`, `writer-${writer}`, amountOf(writer, index));
    const { body } = await this.post('/transactions', tx);
    this.acks.push({ id: tx.id, position: body.position as number, amount: tx.postings[0]!.amount });
  }

  async batch(index: number) {
    const items = Array.from({ length: BATCH_SIZE }, (_, i) => transfer(`b${index}-${i}`, 'batcher', amountOf(WRITERS, index * BATCH_SIZE + i)));
    const { body } = await this.post('/transactions/batch', { transactions: items });
    const results = body.results as Json[];
    results.forEach((result, i) => {
      expect([201, 200], JSON.stringify(result)).toContain(result.status);
      if (result.status === 200) this.replays++;
      this.acks.push({ id: items[i]!.id, position: result.transaction.position as number, amount: items[i]!.postings[0]!.amount });
    });
  }

  async run() {
    await Promise.all([
      ...Array.from({ length: WRITERS }, async (_, writer) => {
        for (let i = 0; i < SINGLES_PER_WRITER; i++) await this.single(writer, i);
      }),
      (async () => {
        for (let b = 0; b < BATCHES; b++) await this.batch(b);
      })(),
    ]);
  }

  /** Resolves once `count` writes are acknowledged and others are in flight: when to strike. */
  async acknowledged(count: number) {
    while (this.acks.length < count || this.inFlight === 0) await sleep(1);
  }
}

const amountOf = (writer: number, index: number) => `${writer + 1}${index}.${String(index % 100).padStart(2, '0')}`;

function transfer(id: string, to: string, amount: string) {
  return {
    id,
    postings: [
      { accountId: 'bank', direction: 'debit', amount },
      { accountId: to, direction: 'credit', amount },
    ],
  };
}

async function openBooks(server: Server, key: string, ledgerId: string) {
  expect((await call(server, key, 'POST', '/v1/ledgers', { id: ledgerId, name: 'Crash' })).status).toBe(201);
  const accounts = [{ id: 'bank', normalBalance: 'debit' }, ...['batcher', ...Array.from({ length: WRITERS }, (_, w) => `writer-${w}`)].map((id) => ({ id, normalBalance: 'credit' }))];
  for (const account of accounts) {
    expect((await call(server, key, 'POST', `/v1/ledgers/${ledgerId}/accounts`, { ...account, currency: 'USD' })).status).toBe(201);
  }
}

/** Sums decimal strings of cents exactly (USD has two decimals). */
function sumOf(amounts: readonly string[]): string {
  const SCALE = 2;
  const units = amounts.reduce((total, amount) => {
    const [whole, fraction = ''] = amount.split('.');
    return total + BigInt(whole! + fraction.padEnd(SCALE, '0'));
  }, 0n);
  const digits = units.toString().padStart(SCALE + 1, '0');
  return `${digits.slice(0, -SCALE)}.${digits.slice(-SCALE)}`;
}

/** Every event, by paging the feed from the start. */
async function wholeFeed(server: Server, key: string, ledgerId: string): Promise<Json[]> {
  const events: Json[] = [];
  for (;;) {
    const page = await call(server, key, 'GET', `/v1/ledgers/${ledgerId}/events?after=${events.length}&limit=1000`);
    expect(page.status).toBe(200);
    events.push(...(page.body.events as Json[]));
    if (events.length >= (page.body.head as number)) return events;
  }
}

/** What every run must end with: each acknowledged write once, where it was said to be, and nothing else. */
async function expectNothingLostOrDoubled(server: Server, key: string, ledgerId: string, load: Load) {
  console.log(`faults seen by the writers: ${load.unavailable} answers 503, ${load.unreachable} failed connections, ${load.replays} replays of writes recorded but not answered`);
  expect(load.acks).toHaveLength(TOTAL);
  const events = await wholeFeed(server, key, ledgerId);
  expect(events.map((e) => e.position)).toEqual(events.map((_, i) => i + 1)); // gapless from 1
  const recorded = events.filter((e) => e.type === 'TransactionRecorded');
  expect(recorded).toHaveLength(TOTAL);
  const positionOf = new Map(recorded.map((e) => [e.data.id as string, e.position as number]));
  expect(positionOf.size).toBe(TOTAL);
  for (const ack of load.acks) expect(positionOf.get(ack.id), ack.id).toBe(ack.position);

  const verify = await call(server, key, 'GET', `/v1/ledgers/${ledgerId}/verify`);
  expect(verify.body).toEqual({ ok: true, checkedThrough: events.length, firstBadPosition: null });

  const balance = async (accountId: string) => (await call(server, key, 'GET', `/v1/ledgers/${ledgerId}/accounts/${accountId}/balance`)).body.ledgerBalance as string;
  expect(await balance('bank')).toBe(sumOf(load.acks.map((a) => a.amount)));
  for (let w = 0; w < WRITERS; w++) {
    expect(await balance(`writer-${w}`)).toBe(sumOf(load.acks.filter((a) => a.id.startsWith(`w${w}-`)).map((a) => a.amount)));
  }
}

const dataDirs: string[] = [];

afterAll(async () => {
  stopAllServers();
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The API process under test: killed with SIGKILL, started again on the same database. */
interface Api {
  crash(): Promise<void>;
  start(): Promise<void>;
}

/** Starts the server on `database`, runs the writers while `faults` strikes, then checks the outcome. */
async function survives(database: Record<string, string>, faults: (load: Load, api: Api) => Promise<void>) {
  const key = `lk_${randomBytes(24).toString('base64url')}`;
  const env = { ...database, LEDGER_BOOTSTRAP_ADMIN_KEY: key, LEDGER_RATE_LIMIT: '0' };
  let server = await startServer(env);
  const ledgerId = 'crash';
  await openBooks(server, key, ledgerId);
  const load = new Load(() => server, key, `/v1/ledgers/${ledgerId}`);
  const api: Api = {
    crash: () => server.crash(),
    start: async () => {
      server = await startServer(env);
    },
  };
  await Promise.all([load.run(), faults(load, api)]);
  // The killed API processes cut connections the writers had to retry.
  expect(load.unreachable).toBeGreaterThan(0);
  await expectNothingLostOrDoubled(server, key, ledgerId, load);
}

describe('kill -9 of the API under load, on PGlite', () => {
  it('loses and doubles nothing when the process holding the embedded database is killed twice', { timeout: 240_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-crash-'));
    dataDirs.push(dir);
    await survives({ DATA_DIR: join(dir, 'data') }, async (load, api) => {
      for (const share of [0.25, 0.6]) {
        await load.acknowledged(TOTAL * share);
        await api.crash();
        await api.start();
      }
    });
  });
});
