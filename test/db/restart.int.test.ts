import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call, startServer, stopAllServers, type Json, type Server } from '../support/server.ts';

const GENERATED_KEY = /^\s*(lk_[A-Za-z0-9_-]{32})\s*$/;
const generatedKeys = (server: Server) => server.lines.flatMap((line) => GENERATED_KEY.exec(line)?.[1] ?? []);
const listeningLine = (server: Server) => server.lines.map((line) => (line.startsWith('{') ? (JSON.parse(line) as Json) : {})).find((l) => l.msg === 'listening');

const dataDirs: string[] = [];

async function freshDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-restart-'));
  dataDirs.push(dir);
  return join(dir, 'data'); // not there yet: the server creates it
}

/** The real server on PGlite under `dataDir`. */
const start = (dataDir: string, extraEnv: Record<string, string> = {}) => startServer({ DATA_DIR: dataDir, ...extraEnv });

afterAll(async () => {
  stopAllServers();
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the server on PGlite across a restart', () => {
  it('prints an admin key on the first start only, and keeps what was recorded', { timeout: 120_000 }, async () => {
    const dataDir = await freshDataDir();
    const first = await start(dataDir);
    expect(listeningLine(first)).toMatchObject({ level: 30, msg: 'listening', port: first.port, database: `PGlite in ${dataDir}` });
    const keys = generatedKeys(first);
    expect(keys).toHaveLength(1);
    const adminKey = keys[0]!;

    const ledger = await call(first, adminKey, 'POST', '/v1/ledgers', { id: 'books', name: 'Books' });
    expect(ledger.status).toBe(201);
    for (const account of [{ id: 'bank', normalBalance: 'debit', currency: 'USD' }, { id: 'alice', normalBalance: 'credit', currency: 'USD' }]) {
      expect((await call(first, adminKey, 'POST', '/v1/ledgers/books/accounts', account)).status).toBe(201);
    }
    const recorded = await call(first, adminKey, 'POST', '/v1/ledgers/books/transactions', {
      id: 'dep-1', effectiveAt: '2026-03-01T10:00:00Z', postings: [
        { accountId: 'bank', direction: 'debit', amount: '10000.00' },
        { accountId: 'alice', direction: 'credit', amount: '10000.00' },
      ],
    });
    expect(recorded.status).toBe(201);
    expect(recorded.body.position).toBe(4);
    // Fixed coordinates, so the answers before and after the restart must be equal to the byte.
    const coordinates = `recordedAsOf=${encodeURIComponent(recorded.body.recordedAt)}&effectiveAsOf=2026-03-02`;
    const transactionBefore = await call(first, adminKey, 'GET', `/v1/ledgers/books/transactions/dep-1?${coordinates}`);
    const balanceBefore = await call(first, adminKey, 'GET', `/v1/ledgers/books/accounts/alice/balance?${coordinates}`);
    expect(transactionBefore.status).toBe(200);
    expect(transactionBefore.body).toMatchObject({ id: 'dep-1', position: 4, recordedAt: recorded.body.recordedAt });
    expect(balanceBefore.body).toMatchObject({ ledgerBalance: '10000.00', asOf: { position: 4, recordedAt: recorded.body.recordedAt } });
    expect(await first.stop()).toBe(0);

    const second = await start(dataDir);
    expect(generatedKeys(second)).toEqual([]);
    expect((await call(second, adminKey, 'GET', '/v1/ledgers/books')).body).toMatchObject({ id: 'books', head: 4 });
    expect(await call(second, adminKey, 'GET', `/v1/ledgers/books/transactions/dep-1?${coordinates}`)).toEqual(transactionBefore);
    expect(await call(second, adminKey, 'GET', `/v1/ledgers/books/accounts/alice/balance?${coordinates}`)).toEqual(balanceBefore);
    // The log goes on from where it stopped.
    const next = await call(second, adminKey, 'POST', '/v1/ledgers/books/transactions', {
      id: 'dep-2', postings: [
        { accountId: 'bank', direction: 'debit', amount: '5.00' },
        { accountId: 'alice', direction: 'credit', amount: '5.00' },
      ],
    });
    expect(next.status).toBe(201);
    expect(next.body.position).toBe(5);
    expect(next.body.recordedAt > recorded.body.recordedAt).toBe(true);
    expect((await call(second, adminKey, 'GET', '/v1/ledgers/books/accounts/alice/balance')).body.ledgerBalance).toBe('10005.00');
    expect(await second.stop()).toBe(0);
  });

  it('makes LEDGER_BOOTSTRAP_ADMIN_KEY an admin key, on every start, and prints no key', { timeout: 120_000 }, async () => {
    const dataDir = await freshDataDir();
    const bootstrapKey = `lk_${randomBytes(24).toString('base64url')}`;
    for (const round of [1, 2]) {
      const server = await start(dataDir, { LEDGER_BOOTSTRAP_ADMIN_KEY: bootstrapKey });
      expect(generatedKeys(server), `start ${round}`).toEqual([]);
      expect(server.lines.join('\n')).not.toContain(bootstrapKey);
      const created = await call(server, bootstrapKey, 'POST', '/v1/ledgers', { id: `books-${round}`, name: 'Books' });
      expect(created.status, `start ${round}`).toBe(201);
      const key = await call(server, bootstrapKey, 'POST', '/v1/keys', { name: 'another admin', role: 'admin' });
      expect(key.status).toBe(201);
      expect((await call(server, `lk_${randomBytes(24).toString('base64url')}`, 'GET', '/v1/ledgers/books-1')).status).toBe(401);
      expect((await call(server, bootstrapKey, 'GET', '/v1/ledgers/books-1')).body).toMatchObject({ id: 'books-1', head: 1 });
      expect(await server.stop()).toBe(0);
    }
  });
});
