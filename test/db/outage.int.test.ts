import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { privateCluster, removeAllClusters, type PrivateCluster } from '../support/pg-cluster.ts';
import { startServer, stopAllServers, type Json, type Server } from '../support/server.ts';

// PostgreSQL goes away and comes back; the API process stays. While PostgreSQL is down, /v1
// answers 503 UNAVAILABLE with Retry-After within a second (no request waits on a dead
// connection), /ready answers 503 with the reason (/health, liveness, stays 200), and the same process answers 201 again
// within a few seconds of PostgreSQL accepting connections. A start while PostgreSQL is down
// waits for it (LEDGER_DB_WAIT_S), logging each try, and gives up with a clear message.

const url = process.env.DATABASE_URL;
/** The longest a request may take to be refused while the database is down. */
const REFUSED_WITHIN_MS = 1000;
/** The longest the service may take to write again once PostgreSQL accepts connections. */
const RECOVERED_WITHIN_MS = 5000;

afterAll(async () => {
  stopAllServers();
  await removeAllClusters();
});

const timed = async <T>(work: () => Promise<T>) => {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
};

async function request(server: Server, key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, body: (await response.json()) as Json, retryAfter: response.headers.get('retry-after') };
}

const transfer = (id: string) => ({
  id, postings: [{ accountId: 'bank', direction: 'debit', amount: '1.00' }, { accountId: 'shop', direction: 'credit', amount: '1.00' }],
});

describe.skipIf(!url)('PostgreSQL down and back, under the same API process', () => {
  let cluster: PrivateCluster;
  let databaseUrl: string;
  const key = `lk_${randomBytes(24).toString('base64url')}`;

  it('answers 503 at once while it is down, /ready says why, and writes again after, with nothing lost', { timeout: 120_000 }, async () => {
    cluster = await privateCluster();
    databaseUrl = await cluster.script('start');
    const server = await startServer({ DATABASE_URL: databaseUrl, LEDGER_BOOTSTRAP_ADMIN_KEY: key, LEDGER_RATE_LIMIT: '0' });
    let exited = false;
    void server.exited.then(() => (exited = true));
    const ledger = '/v1/ledgers/outage';
    expect((await request(server, key, 'POST', '/v1/ledgers', { id: 'outage', name: 'Outage' })).status).toBe(201);
    for (const id of ['bank', 'shop']) {
      expect((await request(server, key, 'POST', `${ledger}/accounts`, { id, normalBalance: id === 'bank' ? 'debit' : 'credit', currency: 'USD' })).status).toBe(201);
    }

    // Writes in flight when PostgreSQL is killed: each is recorded or refused, never left hanging.
    const inFlight = Array.from({ length: 20 }, (_, i) => request(server, key, 'POST', `${ledger}/transactions`, transfer(`before-${i}`)));
    await sleep(20);
    await cluster.script('crash');
    const answers = await Promise.all(inFlight);
    for (const answer of answers) expect([201, 503], JSON.stringify(answer.body)).toContain(answer.status);

    // Down: every /v1 request is refused at once, for as long as it lasts; /ready says why.
    const downUntil = Date.now() + 3000;
    let refusals = 0;
    while (Date.now() < downUntil) {
      const { value: write, ms } = await timed(() => request(server, key, 'POST', `${ledger}/transactions`, transfer('during')));
      expect([write.status, write.body.code, write.retryAfter]).toEqual([503, 'UNAVAILABLE', '1']);
      expect(ms, 'a refusal took too long').toBeLessThan(REFUSED_WITHIN_MS);
      const { value: read, ms: readMs } = await timed(() => request(server, key, 'GET', `${ledger}/accounts/shop/balance`));
      expect([read.status, read.body.code]).toEqual([503, 'UNAVAILABLE']);
      expect(readMs).toBeLessThan(REFUSED_WITHIN_MS);
      refusals += 2;
      await sleep(100);
    }
    const { value: ready, ms: readyMs } = await timed(() => fetch(`http://127.0.0.1:${server.port}/ready`));
    expect(ready.status).toBe(503);
    expect(readyMs).toBeLessThan(REFUSED_WITHIN_MS);
    const said = (await ready.json()) as Json;
    expect(said).toMatchObject({ ready: false, failed: ['database'], checks: { database: { ok: false } } });
    expect(said.checks.database.reason).toMatch(/ECONNREFUSED|CONNECTION|57P/);
    // Liveness: the process is alive and should not be restarted for its database.
    expect((await fetch(`http://127.0.0.1:${server.port}/health`)).status).toBe(200);
    expect(server.lines.some((line) => line.includes('"database unreachable"'))).toBe(true);
    // A request answered 5xx is logged at warn (40), the others at info (30).
    const requestLines = server.lines.filter((line) => line.includes('"requestId"')).map((line) => JSON.parse(line) as Json);
    expect(requestLines.filter((line) => line.status === 503).length).toBeGreaterThan(0);
    for (const line of requestLines) expect(line.level, JSON.stringify(line)).toBe(line.status >= 500 ? 40 : 30);
    console.log(`${refusals} requests refused while PostgreSQL was down; /ready said: ${said.checks.database.reason}`);

    // Back: the same process writes again within a few seconds, by itself.
    await cluster.script('up');
    const backAt = performance.now();
    let written: Json | undefined;
    while (!written) {
      expect(performance.now() - backAt, 'not writing again in time').toBeLessThan(RECOVERED_WITHIN_MS);
      const write = await request(server, key, 'POST', `${ledger}/transactions`, transfer('after'));
      if (write.status === 201) written = write.body;
      else await sleep(50);
    }
    console.log(`writing again ${Math.round(performance.now() - backAt)} ms after PostgreSQL accepted connections`);
    const back = await fetch(`http://127.0.0.1:${server.port}/ready`);
    expect(back.status).toBe(200);
    expect(((await back.json()) as Json).checks).toMatchObject({ database: { ok: true }, migrations: { ok: true }, projector: { ok: true } });
    expect(exited, 'the API process exited').toBe(false);

    // Nothing lost: each write answered 201 is there, and those answered 503 are there once if retried.
    for (const [i, answer] of answers.entries()) {
      const again = await request(server, key, 'POST', `${ledger}/transactions`, transfer(`before-${i}`));
      expect(again.status).toBe(answer.status === 201 ? 200 : again.status);
      if (answer.status === 201) expect(again.body.position).toBe(answer.body.position);
    }
    const feed = await request(server, key, 'GET', `${ledger}/events?after=0&limit=1000`);
    const ids = (feed.body.events as Json[]).filter((e) => e.type === 'TransactionRecorded').map((e) => e.data.id as string);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id.startsWith('before-')).sort()).toEqual(answers.map((_, i) => `before-${i}`).sort());
    expect((await request(server, key, 'GET', `${ledger}/verify`)).body.ok).toBe(true);
    await server.stop();
  });

  it('waits for PostgreSQL at start, logging each try, and serves once it answers', { timeout: 120_000 }, async () => {
    await cluster.script('stop');
    const starting = startServer({ DATABASE_URL: databaseUrl, LEDGER_BOOTSTRAP_ADMIN_KEY: key, LEDGER_DB_WAIT_S: '60' });
    await sleep(2500);
    await cluster.script('up');
    const server = await starting;
    const waits = server.lines.filter((line) => line.includes('"waiting for PostgreSQL"'));
    expect(waits.length).toBeGreaterThan(1);
    expect(JSON.parse(waits[0]!)).toMatchObject({ attempt: 1, error: expect.stringContaining('ECONNREFUSED') });
    expect((await request(server, key, 'GET', '/v1/ledgers/outage')).status).toBe(200);
    await server.stop();
  });

  it('gives up after LEDGER_DB_WAIT_S with a message that says so, and exits non-zero', { timeout: 60_000 }, async () => {
    await cluster.script('stop');
    const started = performance.now();
    const failure = await startServer({ DATABASE_URL: databaseUrl, LEDGER_BOOTSTRAP_ADMIN_KEY: key, LEDGER_DB_WAIT_S: '2' }).then(
      () => new Error('started without its database'),
      (error: Error) => error,
    );
    expect(failure.message).toMatch(/exited \(1\)/);
    expect(failure.message).toContain('did not answer within LEDGER_DB_WAIT_S=2 s');
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});
