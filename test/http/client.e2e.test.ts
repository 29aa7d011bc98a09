import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedChainBroken, followFeed, memoryCheckpointStore } from '../../src/client/feed-follower.ts';
import { fileCheckpointStore, fileOutboxStore } from '../../src/client/file-stores.ts';
import { ledgerClient, LedgerProblem, LedgerUnreachable, type FeedEvent, type TransactionInput } from '../../src/client/ledger-client.ts';
import { Outbox } from '../../src/client/outbox.ts';
import { uniqueLedgerId } from '../support/databases.ts';
import { freePort, startServer, stopAllServers, type Server } from '../support/server.ts';

// The integration kit against the real server over HTTP, on PGlite and on PostgreSQL: the typed
// client, the offline outbox (through a refused connection, a lost answer and a kill -9), and the
// feed follower (checkpoints, redelivery after a failed handler, a tampered page).

const url = process.env.DATABASE_URL;
const SETUPS = [
  { name: 'pglite', env: (dir: string): Record<string, string> => ({ DATA_DIR: join(dir, 'data') }) },
  ...(url ? [{ name: 'postgres', env: (): Record<string, string> => ({ DATABASE_URL: url }) }] : []),
];

const dirs: string[] = [];
afterAll(async () => {
  stopAllServers();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const transfer = (id: string | undefined, amount: string, from = 'bank', to = 'alice'): TransactionInput => ({
  ...(id === undefined ? {} : { id }),
  postings: [{ accountId: from, direction: 'debit', amount }, { accountId: to, direction: 'credit', amount }],
});

for (const setup of SETUPS) {
  describe(`the integration kit on ${setup.name}`, () => {
    const key = `lk_${randomBytes(24).toString('base64url')}`;
    let dir: string;
    let env: Record<string, string>;
    let server: Server;
    const clientOf = (s: Server, options: { attempts?: number; fetch?: typeof fetch } = {}) =>
      ledgerClient({ baseUrl: `http://127.0.0.1:${s.port}/`, apiKey: key, retryDelayMs: 10, ...options });

    async function openBooks(ledgerId: string) {
      const client = clientOf(server);
      await client.createLedger({ id: ledgerId, name: 'Kit' });
      await client.openAccount(ledgerId, { id: 'bank', normalBalance: 'debit', currency: 'USD' });
      await client.openAccount(ledgerId, { id: 'alice', normalBalance: 'credit', currency: 'USD', noOverdraft: true });
      return client;
    }

    async function recordedIds(ledgerId: string): Promise<string[]> {
      const events: FeedEvent[] = [];
      await followFeed({ client: clientOf(server), ledgerId, checkpoints: memoryCheckpointStore(), untilCaughtUp: true, handle: async (page) => void events.push(...page) });
      return events.filter((e) => e.type === 'TransactionRecorded').map((e) => e.data.id as string);
    }

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ledger-kit-'));
      dirs.push(dir);
      env = { ...setup.env(dir), LEDGER_BOOTSTRAP_ADMIN_KEY: key, LEDGER_RATE_LIMIT: '0' };
      server = await startServer(env);
    }, 60_000);

    it('writes and reads with typed calls, replays a write with its key, and throws a problem as LedgerProblem', async () => {
      const ledgerId = uniqueLedgerId('kit');
      const client = await openBooks(ledgerId);
      const first = await client.recordTransaction(ledgerId, transfer('t1', '123456789012345678901234567890.78'));
      expect(first.replayed).toBe(false);
      expect(first.body).toMatchObject({ id: 't1', status: 'posted', position: 4 });
      const again = await client.recordTransaction(ledgerId, transfer(undefined, '1.00'), { idempotencyKey: 'pay-1' });
      expect(await client.recordTransaction(ledgerId, transfer(undefined, '1.00'), { idempotencyKey: 'pay-1' })).toEqual({ body: again.body, replayed: true });

      const balance = await client.balance(ledgerId, 'alice');
      expect(balance.ledgerBalance).toBe('123456789012345678901234567891.78');
      expect((await client.balance(ledgerId, 'alice', { recordedAsOfPosition: 3 })).ledgerBalance).toBe('0.00');

      const refused = await client.recordTransaction(ledgerId, transfer('t2', '123456789012345678901234567891.79', 'alice', 'bank')).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(LedgerProblem);
      expect((refused as LedgerProblem).status).toBe(422);
      expect((refused as LedgerProblem).problem.code).toBe('INSUFFICIENT_FUNDS');
      const missing = await client.balance(ledgerId, 'nobody').catch((e: unknown) => e);
      expect((missing as LedgerProblem).problem).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    });

    it('gives up with LedgerUnreachable, keeping the key, when nothing answers', async () => {
      const nowhere = ledgerClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, apiKey: key, attempts: 3, retryDelayMs: 1 });
      const error = await nowhere.recordTransaction('x', transfer('t', '1.00'), { idempotencyKey: 'k-1' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LedgerUnreachable);
      expect((error as LedgerUnreachable).idempotencyKey).toBe('k-1');
    });

    it('queues writes offline and records each once through a refusal, a lost answer and a kill -9', { timeout: 120_000 }, async () => {
      const ledgerId = uniqueLedgerId('outbox');
      await openBooks(ledgerId);
      const outboxPath = join(dir, `${ledgerId}.outbox.jsonl`);

      // Offline: nothing listens where the client points. Everything stays queued, on disk.
      const offline = new Outbox(ledgerClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, apiKey: key, attempts: 2, retryDelayMs: 1 }), fileOutboxStore(outboxPath));
      for (let i = 0; i < 5; i++) await offline.recordTransaction(ledgerId, transfer(`o${i}`, `${i + 1}.00`));
      // No id: only the key the outbox stored with it guards this one against a double.
      await offline.recordTransaction(ledgerId, transfer(undefined, '0.50'));
      for (let i = 5; i < 12; i++) await offline.recordTransaction(ledgerId, transfer(`o${i}`, `${i + 1}.00`));
      await offline.recordTransaction(ledgerId, transfer('too-much', '1000.00', 'alice', 'bank')); // refused: alice has less
      await offline.recordTransaction(ledgerId, transfer('o12', '13.00'));
      expect(await offline.flush()).toEqual({ settled: [], remaining: 15 });

      // Online, a new client process on the same file: the answer to the 6th request, the one
      // without an id, is lost (it is recorded, then the server is killed before the client reads
      // the answer).
      let requests = 0;
      const losing: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        if (++requests === 6) {
          await server.crash();
          throw new TypeError('fetch failed: the connection was cut');
        }
        return response;
      };
      const cut = await new Outbox(clientOf(server, { attempts: 2, fetch: losing }), fileOutboxStore(outboxPath)).flush();
      expect(cut.settled.map((o) => o.result)).toEqual(Array(5).fill('recorded'));
      expect(cut.remaining).toBe(10);

      server = await startServer(env);
      const store = fileOutboxStore(outboxPath);
      const rest = await new Outbox(clientOf(server), store).flush();
      expect(rest.remaining).toBe(0);
      expect(rest.settled[0]).toMatchObject({ result: 'recorded', replayed: true, body: { postings: [{ amount: '0.50' }, {}] } }); // its answer was lost
      expect(rest.settled.slice(1).filter((o) => o.result === 'recorded').every((o) => o.result === 'recorded' && !o.replayed)).toBe(true);
      const refusals = rest.settled.filter((o) => o.result === 'refused');
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toMatchObject({ status: 422, problem: { code: 'INSUFFICIENT_FUNDS' } });
      expect(await store.pending()).toEqual([]);
      expect(await store.outcomes()).toHaveLength(15);

      const ids = await recordedIds(ledgerId);
      expect(ids).toHaveLength(14); // 13 with ids and the one without, each once
      expect(new Set(ids).size).toBe(14);
      expect(ids.filter((id) => id.startsWith('o')).sort()).toEqual(Array.from({ length: 13 }, (_, i) => `o${i}`).sort());
      expect((await clientOf(server).balance(ledgerId, 'alice')).ledgerBalance).toBe('91.50');
    });

    it('follows the feed from a checkpoint file, hands a page again after a failed handler, and stops at a tampered event', { timeout: 60_000 }, async () => {
      const ledgerId = uniqueLedgerId('follow');
      const client = await openBooks(ledgerId);
      for (let i = 0; i < 5; i++) await client.recordTransaction(ledgerId, transfer(`f${i}`, '1.00'));
      const checkpointPath = join(dir, `${ledgerId}.checkpoint.json`);
      const seen: number[] = [];
      const handle = async (events: readonly FeedEvent[]) => void seen.push(...events.map((e) => e.position));

      const first = await followFeed({ client, ledgerId, checkpoints: fileCheckpointStore(checkpointPath), pageSize: 3, untilCaughtUp: true, handle });
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const digest = (await client.request<{ position: number; hash: string }>('GET', `/v1/ledgers/${ledgerId}/digest`)).body;
      expect(first).toEqual({ position: digest.position, hash: digest.hash });
      expect(JSON.parse(await readFile(checkpointPath, 'utf8'))).toEqual(first);

      // Two more events; the handler fails on the first page holding them: it gets them again.
      await client.recordTransaction(ledgerId, transfer('f5', '1.00'));
      await client.recordTransaction(ledgerId, transfer('f6', '1.00'));
      const failing = followFeed({ client, ledgerId, checkpoints: fileCheckpointStore(checkpointPath), untilCaughtUp: true, handle: async () => {
        throw new Error('the handler failed');
      } });
      await expect(failing).rejects.toThrow('the handler failed');
      await followFeed({ client, ledgerId, checkpoints: fileCheckpointStore(checkpointPath), untilCaughtUp: true, handle });
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

      // A page whose 6th event was altered in transit (its amount) stops the follower before any
      // handler sees that page, naming the position.
      const tampering: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        const page = (await response.json()) as { events: FeedEvent[]; head: number };
        const events = page.events.map((e) => (e.position === 6 ? { ...e, data: { ...e.data, description: 'changed' } } : e));
        return new Response(JSON.stringify({ ...page, events }), { status: response.status, headers: response.headers });
      };
      const handled: number[] = [];
      const broken = await followFeed({
        client: clientOf(server, { fetch: tampering }), ledgerId, checkpoints: memoryCheckpointStore(), pageSize: 4, untilCaughtUp: true,
        handle: async (events) => void handled.push(...events.map((e) => e.position)),
      }).catch((e: unknown) => e);
      expect(broken).toBeInstanceOf(FeedChainBroken);
      expect((broken as FeedChainBroken).position).toBe(6);
      expect(handled).toEqual([1, 2, 3, 4]);
    });
  });
}
