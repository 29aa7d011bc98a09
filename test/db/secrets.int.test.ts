import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/app/api-keys.ts';
import { testApi, transfer, type TestApi } from '../support/http.ts';
import { PRIVATE_DATABASES } from '../support/private-database.ts';
import { call, startServer, stopAllServers, type Server } from '../support/server.ts';

// Spec section 8: "Keys are shown once and stored only as hashes." Acceptance: a dump of the
// database contains no API key in plain text. On PostgreSQL the dump is the real pg_dump's; on
// PGlite it is every byte of the data directory after a clean stop. Each side also checks a
// positive control, so that an empty or unreadable dump cannot pass.

const run = promisify(execFile);
const PG_DUMP = ['/usr/lib/postgresql/15/bin/pg_dump', '/usr/bin/pg_dump'].find((path) => existsSync(path));
const LEDGER_NAME = 'Secrets ledger 7f3a9c'; // the positive control: it must be in the dump
const KEY = /^lk_[A-Za-z0-9_-]{32}$/;

/** The texts that must not appear anywhere: each key and its random part without the prefix. */
const secretsOf = (keys: readonly string[]) => keys.flatMap((key) => [key, key.replace(/^lk_/, '')]);

function expectNoSecrets(haystack: string | Buffer, keys: readonly string[], where: string): void {
  for (const secret of secretsOf(keys)) expect(haystack.indexOf(secret), `${where} holds ${secret}`).toBe(-1);
}

/** Creates keys of every role over HTTP with `send`, uses each, revokes one; returns the keys. */
async function createAndUseKeys(send: (key: string, method: string, path: string, body?: unknown) => Promise<{ status: number; body: Record<string, unknown> }>, adminKey: string) {
  const ledgerId = `secrets-${Date.now().toString(36)}`;
  expect((await send(adminKey, 'POST', '/v1/ledgers', { id: ledgerId, name: LEDGER_NAME })).status).toBe(201);
  for (const account of [{ id: 'bank', normalBalance: 'debit', currency: 'USD' }, { id: 'alice', normalBalance: 'credit', currency: 'USD' }]) {
    expect((await send(adminKey, 'POST', `/v1/ledgers/${ledgerId}/accounts`, account)).status).toBe(201);
  }
  const keys: string[] = [];
  for (const [role, ledgerIds] of [['admin', undefined], ['writer', [ledgerId]], ['reader', [ledgerId]], ['auditor', [ledgerId]]] as const) {
    const created = await send(adminKey, 'POST', '/v1/keys', { name: `${role} for the dump`, role, ...(ledgerIds ? { ledgerIds } : {}) });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(KEY);
    keys.push(created.body.key as string);
  }
  const [admin, writer, reader, auditor] = keys as [string, string, string, string];
  // Use them: writes (one refused, so the rejection log has a row), reads, the feed, an audit.
  expect((await send(writer, 'POST', `/v1/ledgers/${ledgerId}/transactions`, transfer('s-1', '2026-03-01T10:00:00Z', 'bank', 'alice', '5.00'))).status).toBe(201);
  expect((await send(writer, 'POST', `/v1/ledgers/${ledgerId}/transactions`, transfer('s-2', '2026-03-01T10:00:00Z', 'bank', 'nobody', '5.00'))).status).toBe(422);
  expect((await send(reader, 'GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance`)).status).toBe(200);
  expect((await send(auditor, 'GET', `/v1/ledgers/${ledgerId}/verify`)).status).toBe(200);
  expect((await send(admin, 'GET', `/v1/ledgers/${ledgerId}/events?after=0`)).status).toBe(200);
  const revokedKey = await send(admin, 'POST', '/v1/keys', { name: 'soon revoked', role: 'reader', ledgerIds: [ledgerId] });
  expect(revokedKey.status).toBe(201);
  keys.push(revokedKey.body.key as string);
  expect((await send(admin, 'POST', `/v1/keys/${String(revokedKey.body.id)}/revoke`)).status).toBeLessThan(300);
  expect((await send(revokedKey.body.key as string, 'GET', `/v1/ledgers/${ledgerId}`)).status).toBe(401);
  return keys;
}

const postgres = PRIVATE_DATABASES.find((d) => d.name === 'postgres');

describe.skipIf(!postgres)('a pg_dump of the PostgreSQL database', () => {
  it('holds no API key in plain text, only their SHA-256', async () => {
    expect(PG_DUMP, 'pg_dump (PostgreSQL 15 client) is installed').toBeDefined();
    const { database, dispose } = await postgres!.open();
    try {
      const logLines: string[] = [];
      const api: TestApi = await testApi(database, { log: (line) => logLines.push(JSON.stringify(line)) });
      const send = async (key: string, method: string, path: string, body?: unknown) => api.call(method, path, { key, ...(body === undefined ? {} : { body }) });
      const keys = [api.adminKey, ...(await createAndUseKeys(send, api.adminKey))];

      const [{ name }] = (await database.asOwner((owner) => owner('select current_database() as name'))) as [{ name: string }];
      const url = new URL(process.env.DATABASE_URL!);
      url.pathname = `/${name}`;
      const { stdout: dump } = await run(PG_DUMP!, ['--no-password', `--dbname=${url.href}`], { maxBuffer: 256 * 1024 * 1024 });

      expect(dump).toContain('COPY public.api_keys');
      expect(dump).toContain(LEDGER_NAME);
      for (const key of keys) expect(dump, 'the dump holds the key table').toContain(hashApiKey(key));
      expectNoSecrets(dump, keys, 'the pg_dump');
      expectNoSecrets(logLines.join('\n'), keys, 'the request log');
      expect(logLines.length).toBeGreaterThan(10);
    } finally {
      await dispose();
    }
  });
});

describe('the PGlite data directory of a real server', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    stopAllServers();
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  /** Every regular file under `dir`. */
  async function filesUnder(dir: string): Promise<string[]> {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  }

  it('holds no API key in any file after a clean stop, and the server printed none but the first admin key, once', { timeout: 120_000 }, async () => {
    const root = await mkdtemp(join(tmpdir(), 'ledger-secrets-'));
    dirs.push(root);
    const dataDir = join(root, 'data');
    const server: Server = await startServer({ DATA_DIR: dataDir });
    // The first start prints the admin key it created, once, by design (spec section 8): that one
    // line, "  lk_...", is the only place a key may be printed.
    const bootstrapLines = server.lines.filter((line) => /^\s*lk_\S+\s*$/.test(line));
    expect(bootstrapLines).toHaveLength(1);
    const bootstrapKey = bootstrapLines[0]!.trim();
    expect(bootstrapKey).toMatch(KEY);

    const send = (key: string, method: string, path: string, body?: unknown) => call(server, key, method, path, body);
    const keys = [bootstrapKey, ...(await createAndUseKeys(send, bootstrapKey))];
    expect(await server.stop()).toBe(0);

    const printed = server.lines.filter((line) => line !== bootstrapLines[0]);
    expect(printed.filter((line) => line.startsWith('{')).length, 'a log line per request').toBeGreaterThan(10);
    expectNoSecrets(printed.join('\n'), keys, 'the server output (but for the first-start key line)');

    const files = await filesUnder(dataDir);
    expect(files.length).toBeGreaterThan(10);
    let controlFound = false;
    let hashFound = 0;
    for (const file of files) {
      const bytes = await readFile(file);
      expectNoSecrets(bytes, keys, file);
      if (bytes.includes(LEDGER_NAME)) controlFound = true;
      hashFound += keys.filter((key) => bytes.includes(hashApiKey(key))).length;
    }
    expect(controlFound, 'the ledger name is stored in some file of the data directory').toBe(true);
    expect(hashFound, 'the key hashes are stored in the data directory').toBeGreaterThanOrEqual(keys.length);
  });
});
