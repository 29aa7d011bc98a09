import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueLedgerId } from '../support/databases.ts';
import { startServer, stopAllServers, type Json, type Server } from '../support/server.ts';
import { commitCutter, type CommitCutter } from '../support/tcp-proxy.ts';

// The connection to PostgreSQL cut right after COMMIT is sent: PostgreSQL commits, and the
// service never hears so. It answers 503 (it cannot know), and the client's retry, with the same
// transaction id or Idempotency-Key and body, gets the original result: 200 with
// Idempotent-Replayed, never a second event, and never a 4xx for the write that landed (a
// re-decided spend would be INSUFFICIENT_FUNDS, a reversal ALREADY_REVERSED, a capture
// HOLD_NOT_PENDING). The service reaches PostgreSQL through a proxy that makes the cut.

const url = process.env.DATABASE_URL;

describe.skipIf(!url)('a connection cut right after COMMIT, on PostgreSQL', () => {
  let proxy: CommitCutter;
  let server: Server;
  const key = `lk_${randomBytes(24).toString('base64url')}`;
  const ledgerId = uniqueLedgerId('cut');
  const path = `/v1/ledgers/${ledgerId}`;

  const send = async (method: string, to: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`http://127.0.0.1:${server.port}${to}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: response.status, body: (await response.json()) as Json, replayed: response.headers.get('idempotent-replayed') === 'true' };
  };
  const head = async () => (await send('GET', path)).body.head as number;
  const move = (id: string, from: string, to: string, amount: string) => ({
    id, postings: [{ accountId: from, direction: 'debit', amount }, { accountId: to, direction: 'credit', amount }],
  });

  /** Sends a write whose COMMIT is cut, then the same again: the first is 503, the second the original, recorded once. */
  async function cutThenRetry(to: string, body: unknown, headers: Record<string, string> = {}) {
    const before = await head();
    const cut = proxy.cutNextCommit();
    const first = await send('POST', to, body, headers);
    await cut;
    expect([first.status, first.body.code], JSON.stringify(first.body)).toEqual([503, 'UNAVAILABLE']);
    const landed = await head();
    expect(landed, 'the COMMIT reached PostgreSQL').toBeGreaterThan(before);
    const again = await send('POST', to, body, headers);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(await head(), 'the retry recorded nothing').toBe(landed);
    return { again: again.body, replayed: again.replayed, positions: [before + 1, landed] as const };
  }

  /** The events at positions from..to. */
  const eventsBetween = async (from: number, to: number) => (await send('GET', `${path}/events?after=${from - 1}&limit=${to - from + 1}`)).body.events as Json[];

  beforeAll(async () => {
    const target = new URL(url!);
    proxy = await commitCutter(Number(target.port || 5432));
    const viaProxy = new URL(url!);
    viaProxy.port = String(proxy.port);
    server = await startServer({ DATABASE_URL: viaProxy.href, LEDGER_BOOTSTRAP_ADMIN_KEY: key });
    expect((await send('POST', '/v1/ledgers', { id: ledgerId, name: 'Cut' })).status).toBe(201);
    for (const account of [
      { id: 'bank', normalBalance: 'debit', currency: 'USD' },
      { id: 'wallet', normalBalance: 'credit', currency: 'USD', noOverdraft: true },
      { id: 'merchant', normalBalance: 'credit', currency: 'USD' },
    ]) expect((await send('POST', `${path}/accounts`, account)).status).toBe(201);
  });

  afterAll(async () => {
    if (process.env.DEBUG_CUT) console.log(server.stderr());
    stopAllServers();
    await proxy?.close();
  });

  it('replays a transaction by its id', async () => {
    const { again, replayed, positions } = await cutThenRetry(`${path}/transactions`, move('t1', 'bank', 'merchant', '5.00'));
    expect(replayed).toBe(true);
    const [event] = await eventsBetween(positions[0], positions[1]);
    expect([positions[1] - positions[0], again.position, event!.data.id]).toEqual([0, event!.position, 't1']);
  });

  it('replays a spend that emptied a noOverdraft wallet, instead of refusing it for the funds it spent', async () => {
    expect((await send('POST', `${path}/transactions`, move('fund', 'bank', 'wallet', '10.00'))).status).toBe(201);
    const { again, replayed } = await cutThenRetry(`${path}/transactions`, move('spend-all', 'wallet', 'merchant', '10.00'));
    expect([replayed, again.id]).toEqual([true, 'spend-all']);
    expect((await send('GET', `${path}/accounts/wallet/balance`)).body.availableBalance).toBe('0.00');
  });

  it('replays every item of a batch', async () => {
    const items = [move('b1', 'bank', 'merchant', '1.00'), move('b2', 'bank', 'merchant', '2.00'), move('b3', 'bank', 'merchant', '3.00')];
    const { again, positions } = await cutThenRetry(`${path}/transactions/batch`, { transactions: items });
    expect(again.results.map((r: Json) => r.status)).toEqual([200, 200, 200]);
    const events = await eventsBetween(positions[0], positions[1]);
    expect(events.map((e) => [e.data.id, e.position])).toEqual(again.results.map((r: Json) => [r.transaction.id, r.transaction.position]));
  });

  it('replays every item of a large batch, which went as COPY under the lock', async () => {
    const appends = async () => {
      const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { Authorization: `Bearer ${key}` } })).text();
      const way = (name: string) => Number(new RegExp(`^ledger_appends_total\\{way="${name}"\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
      return { error: way('error'), unknown: way('unknown') };
    };
    const before = await appends();
    const items = Array.from({ length: 100 }, (_, i) => move(`big${i}`, 'bank', 'merchant', `${i + 1}.00`));
    const { again, positions } = await cutThenRetry(`${path}/transactions/batch`, { transactions: items });
    // The cut append failed in the appender, under the lock (not the slow way); its retry went the slow way.
    expect(await appends()).toEqual({ error: before.error + 1, unknown: before.unknown + 1 });
    expect(again.results.map((r: Json) => r.status)).toEqual(items.map(() => 200));
    expect(positions[1] - positions[0] + 1).toBe(100);
    const events = await eventsBetween(positions[0], positions[1]);
    expect(events.map((e) => [e.data.id, e.position])).toEqual(again.results.map((r: Json) => [r.transaction.id, r.transaction.position]));
  });

  it('replays a reversal by its Idempotency-Key, instead of ALREADY_REVERSED', async () => {
    expect((await send('POST', `${path}/transactions`, move('oops', 'bank', 'merchant', '7.00'))).status).toBe(201);
    const { again, replayed } = await cutThenRetry(`${path}/transactions/oops/reverse`, { reason: 'entered twice' }, { 'Idempotency-Key': 'reverse-oops' });
    expect([replayed, again.reverses]).toEqual([true, 'oops']);
  });

  it('replays the capture of a hold by its Idempotency-Key, instead of HOLD_NOT_PENDING', async () => {
    expect((await send('POST', `${path}/transactions`, { ...move('hold', 'bank', 'merchant', '9.00'), status: 'pending' })).status).toBe(201);
    const { again, replayed } = await cutThenRetry(`${path}/transactions/hold/post`, {}, { 'Idempotency-Key': 'post-hold' });
    expect([replayed, again.status, again.resolution.type]).toEqual([true, 'posted', 'posted']);
  });

  it('keeps the chain whole and the process the same one', async () => {
    expect((await send('GET', `${path}/verify`)).body.ok).toBe(true);
    expect(server.lines.filter((line) => line.includes('"listening"'))).toHaveLength(1);
    const health = await fetch(`http://127.0.0.1:${server.port}/health`);
    expect(health.status).toBe(200);
  });
});
