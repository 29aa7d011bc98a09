import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSignerKey, verifierFromKey } from '../../src/app/signed-note.ts';
import { PRIVATE_DATABASES, type PrivateDatabase } from '../support/private-database.ts';
import { call, startServer, stopAllServers, type Json, type Server } from '../support/server.ts';
import { QUIET_WRANGLER_ENV, startWorker, WRANGLER } from '../support/worker.ts';

// The Workers entry (src/entry/worker.ts) as Cloudflare would run it: bundled by wrangler and
// served by workerd under `wrangler dev`, on PostgreSQL through a local Hyperdrive binding. It
// shares its database with the Node entry (`npm start`): neither process holds state of its own.

const url = process.env.DATABASE_URL;
const ROOT = new URL('../../', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');

afterAll(() => {
  stopAllServers();
});

it('bundles for workerd without PGlite, the Node entry or a read of sql/', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-bundle-'));
  try {
    const args = [WRANGLER, 'deploy', '--dry-run', '--outdir', dir, '--metafile', join(dir, 'meta.json')];
    const child = spawn(NODE, args, { cwd: ROOT, env: { ...process.env, ...QUIET_WRANGLER_ENV, WRANGLER_LOG_PATH: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += String(chunk)));
    child.stderr.on('data', (chunk) => (output += String(chunk)));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code, output).toBe(0);
    const inputs = Object.keys((JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as { inputs: Json }).inputs);
    expect(inputs).toContain('src/entry/worker.ts');
    expect(inputs.filter((path) => /@electric-sql\/pglite|src\/adapters\/db\/(pglite|migrations-dir)\.ts|src\/entry\/(node|open-database)\.ts/.test(path))).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** A request with the key, its status, headers and JSON body. */
async function request(server: Server, key: string, method: string, path: string, body?: string) {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, {
    method, body, headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Json };
}

/** Reads an SSE stream until the event at `position` has come; the ids seen on the way. */
async function streamUntil(response: Response, position: number): Promise<number[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const ids: number[] = [];
  let text = '';
  while (!ids.includes(position)) {
    const chunk = await reader.read();
    if (chunk.done) throw new Error(`the stream ended after ids ${ids.join(', ')}`);
    text += chunk.value;
    const messages = text.split('\n\n');
    text = messages.pop()!;
    for (const message of messages) for (const [, id] of message.matchAll(/^id: (\d+)$/gm)) ids.push(Number(id));
  }
  return ids;
}

const move = (id: string, debit: string, credit: string, amount: string, effectiveAt?: string) => ({
  id, ...(effectiveAt ? { effectiveAt } : {}),
  postings: [{ accountId: debit, direction: 'debit', amount }, { accountId: credit, direction: 'credit', amount }],
});

describe.skipIf(!url)('the Workers entry under wrangler dev, on PostgreSQL (runs when DATABASE_URL is set)', () => {
  const key = `lk_${randomBytes(24).toString('base64url')}`;
  const L = '/v1/ledgers/wk';
  let privateDatabase: PrivateDatabase;
  let databaseUrl: string;
  let worker: Server;
  let node: Server;
  let newestMigration: Json;
  let previousMigration: number;
  let signing: { signerKey: string; verifierKey: string };

  beforeAll(async () => {
    signing = await generateSignerKey('ledger.test');
    privateDatabase = await PRIVATE_DATABASES.find((d) => d.name === 'postgres')!.open();
    const [row] = await privateDatabase.database.asOwner((run) => run('select current_database() as name'));
    const privateUrl = new URL(url!);
    privateUrl.pathname = `/${String(row!.name)}`;
    databaseUrl = privateUrl.href;
    // The Worker first meets a schema one migration behind, as before `npm run migrate`.
    const [deleted] = await privateDatabase.database.asOwner((run) => run(
      'delete from schema_migrations where version = (select max(version) from schema_migrations) returning version, name'));
    newestMigration = deleted!;
    // The one before it (numbers may skip: the migrator applies whichever are missing).
    previousMigration = Number((await privateDatabase.database.asOwner((run) => run('select max(version)::int as previous from schema_migrations')))[0]!.previous);
    worker = await startWorker(databaseUrl, { LEDGER_BOOTSTRAP_ADMIN_KEY: key, LEDGER_MAX_BODY_BYTES: '4096', LEDGER_RATE_LIMIT: '0', LEDGER_SIGNING_KEY: signing.signerKey });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([worker?.stop(), node?.stop()]);
    await privateDatabase?.dispose();
  });

  it('answers 503 UNAVAILABLE while the schema is behind sql/, and serves once it is migrated', async () => {
    expect((await fetch(`http://127.0.0.1:${worker.port}/health`)).status).toBe(200);
    const behind = await request(worker, key, 'GET', '/v1/ledgers/none');
    expect(behind.status).toBe(503);
    expect(behind.headers.get('Content-Type')).toBe('application/problem+json');
    expect(behind.headers.get('Retry-After')).toBe('30');
    expect(behind.body).toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(behind.body.detail).toContain(`at migration ${previousMigration} and this Worker needs ${newestMigration.version}: run \`npm run migrate\``);
    const unready = await fetch(`http://127.0.0.1:${worker.port}/ready`);
    expect(unready.status).toBe(503);
    expect(await unready.json()).toMatchObject({ ready: false, failed: ['migrations'], checks: { database: { ok: true }, migrations: { ok: false, detail: { applied: previousMigration } } } });

    await privateDatabase.database.asOwner((run) => run('insert into schema_migrations (version, name) values ($1, $2)', [newestMigration.version, newestMigration.name]));
    expect((await request(worker, key, 'GET', '/v1/ledgers/none')).status).toBe(404);
    const ready = await fetch(`http://127.0.0.1:${worker.port}/ready`);
    expect(ready.status).toBe(200);
    // No projector runs in a Worker, so /ready has no such check; nor does it keep metrics.
    expect(await ready.json()).toEqual({ ready: true, failed: [], checks: { database: { ok: true }, migrations: { ok: true, detail: { applied: Number(newestMigration.version), needed: Number(newestMigration.version) } } } });
    expect((await fetch(`http://127.0.0.1:${worker.port}/metrics`)).status).toBe(404);
  });

  it('serves /docs and Swagger UI\'s files from its bundle, not a CDN', async () => {
    const page = await fetch(`http://127.0.0.1:${worker.port}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('Content-Security-Policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('src="/docs/swagger-ui-bundle.js"');
    expect(html).not.toMatch(/https?:\/\//);
    const resolve = createRequire(import.meta.url).resolve;
    for (const [path, file] of [['/docs/swagger-ui-bundle.js', 'swagger-ui-dist/swagger-ui-bundle.js'], ['/docs/swagger-ui.css', 'swagger-ui-dist/swagger-ui.css']] as const) {
      const answer = await fetch(`http://127.0.0.1:${worker.port}${path}`);
      expect(answer.status, path).toBe(200);
      expect(await answer.text()).toBe(await readFile(resolve(file), 'utf8'));
    }
    expect(await (await fetch(`http://127.0.0.1:${worker.port}/docs/swagger-init.js`)).text()).toContain('SwaggerUIBundle(');
  });

  it('serves the auditor console built by npm install, from its bundle', async () => {
    const built = JSON.parse(await readFile(join(ROOT, 'build/console/console-assets.json'), 'utf8')) as Json;
    for (const [path, name, type] of [['/console', 'html', 'text/html'], ['/console.js', 'script', 'text/javascript'], ['/console.css', 'style', 'text/css']] as const) {
      const answer = await fetch(`http://127.0.0.1:${worker.port}${path}`);
      expect(answer.status, path).toBe(200);
      expect(answer.headers.get('Content-Type')).toBe(`${type}; charset=utf-8`);
      expect(answer.headers.get('Content-Security-Policy')).toContain("script-src 'self'");
      expect(await answer.text(), path).toBe(built[name]);
    }
  });

  it('records and reads over real HTTP with the bootstrap key, config from its vars', async () => {
    expect((await call(worker, key, 'POST', '/v1/ledgers', { id: 'wk', name: 'Workers', timezone: 'UTC' })).status).toBe(201);
    for (const account of [{ id: 'bank', normalBalance: 'debit', currency: 'USD' }, { id: 'alice', normalBalance: 'credit', currency: 'USD' }]) {
      expect((await call(worker, key, 'POST', `${L}/accounts`, account)).status).toBe(201);
    }
    const recorded = await call(worker, key, 'POST', `${L}/transactions`, move('dep-1', 'bank', 'alice', '1000.00', '2026-03-01T10:00:00Z'));
    expect(recorded.status).toBe(201);
    expect(recorded.body.position).toBe(4);

    const now = await call(worker, key, 'GET', `${L}/accounts/alice/balance?effectiveAsOf=2026-03-02`);
    expect(now.body).toMatchObject({ ledgerBalance: '1000.00', availableBalance: '1000.00', asOf: { position: 4 } });
    expect((await call(worker, key, 'GET', `${L}/accounts/alice/balance?effectiveAsOf=2026-02-28`)).body.ledgerBalance).toBe('0.00');
    expect((await call(worker, key, 'GET', `${L}/accounts/alice/balance?effectiveAsOf=2026-03-02&recordedAsOfPosition=3`)).body.ledgerBalance).toBe('0.00');

    // No projector runs in a Worker: a request that commits projects its ledger after its answer.
    const projected = async () => Number((await privateDatabase.database.asOwner((run) => run(
      "select coalesce(max(position), 0) as position from projector_progress where ledger_id = 'wk'")))[0]!.position);
    for (const started = Date.now(); (await projected()) < 4 && Date.now() - started < 10_000;) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await projected()).toBe(4);

    const feed = await call(worker, key, 'GET', `${L}/events?after=0`);
    expect(feed.body.head).toBe(4);
    expect(feed.body.events.map((e: Json) => [e.position, e.type])).toEqual([[1, 'LedgerCreated'], [2, 'AccountOpened'], [3, 'AccountOpened'], [4, 'TransactionRecorded']]);

    const bad = await request(worker, key, 'POST', `${L}/transactions`, JSON.stringify({ id: 'bad', postings: 'none', surprise: true }));
    expect(bad.status).toBe(400);
    expect(bad.headers.get('Content-Type')).toBe('application/problem+json');
    expect(bad.body).toMatchObject({ code: 'VALIDATION_FAILED', status: 400 });
    expect(bad.body.errors.length).toBeGreaterThan(0);
    // LEDGER_MAX_BODY_BYTES is 4096 in this Worker's vars (the default is 1 MiB).
    const large = await request(worker, key, 'POST', `${L}/transactions`, JSON.stringify({ ...move('big', 'bank', 'alice', '1.00'), metadata: { note: 'x'.repeat(5000) } }));
    expect(large.status).toBe(413);
    expect(large.body.code).toBe('PAYLOAD_TOO_LARGE');

    // One JSON log line per request, as from the Node entry, and never the key.
    const logged = worker.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Json);
    expect(logged).toContainEqual(expect.objectContaining({ method: 'POST', route: '/v1/ledgers/:ledgerId/transactions', status: 201 }));
    expect(worker.lines.join('\n')).not.toContain(key);
  });

  it('shares the database with the Node entry: each answers alike and sees what the other wrote', async () => {
    node = await startServer({ DATABASE_URL: databaseUrl, LEDGER_BOOTSTRAP_ADMIN_KEY: key, LEDGER_SIGNING_KEY: signing.signerKey });
    const pinned = `${L}/accounts/alice/balance?effectiveAsOf=2026-03-02&recordedAsOfPosition=4`;
    expect((await call(node, key, 'GET', pinned)).body).toEqual((await call(worker, key, 'GET', pinned)).body);
    expect((await call(node, key, 'GET', `${L}/events?after=0`)).body).toEqual((await call(worker, key, 'GET', `${L}/events?after=0`)).body);

    expect((await call(node, key, 'POST', `${L}/transactions`, move('dep-2', 'bank', 'alice', '250.00', '2026-02-15T00:00:00Z'))).status).toBe(201);
    const backdated = await call(worker, key, 'GET', `${L}/accounts/alice/balance?effectiveAsOf=2026-02-28`);
    expect(backdated.body).toMatchObject({ ledgerBalance: '250.00', asOf: { position: 5 } });
    expect((await call(worker, key, 'GET', `${L}/accounts/alice/balance?effectiveAsOf=2026-02-28&recordedAsOfPosition=4`)).body.ledgerBalance).toBe('0.00');
  });

  it('signs the same checkpoint as the Node entry (WebCrypto Ed25519 on workerd), and serves the same proofs', async () => {
    const fromWorker = (await call(worker, key, 'GET', `${L}/digest`)).body;
    const fromNode = (await call(node, key, 'GET', `${L}/digest`)).body;
    expect(fromWorker).toEqual(fromNode);
    expect(fromWorker).toMatchObject({ treeSize: fromWorker.position, verifierKey: signing.verifierKey });
    expect(await (await verifierFromKey(signing.verifierKey)).open(fromWorker.checkpoint)).toMatch(/^ledger\.test\/ledgers\/wk\n\d+\n/);
    for (const path of [`${L}/proofs/inclusion?position=2`, `${L}/proofs/consistency?from=3`]) {
      const [a, b] = [await call(worker, key, 'GET', path), await call(node, key, 'GET', path)];
      expect(a.status, path).toBe(200);
      expect(a.body, path).toEqual(b.body);
    }
  });

  it('streams the feed live (SSE), with events another process writes', async () => {
    const client = new AbortController();
    const stream = await fetch(`http://127.0.0.1:${worker.port}${L}/events/stream?after=3`, { headers: { Authorization: `Bearer ${key}` }, signal: client.signal });
    try {
      expect(stream.status).toBe(200);
      expect(stream.headers.get('Content-Type')).toMatch(/^text\/event-stream/);
      const written = call(node, key, 'POST', `${L}/transactions`, move('dep-3', 'bank', 'alice', '5.00'));
      expect(await streamUntil(stream, 6)).toEqual([4, 5, 6]);
      expect((await written).body.position).toBe(6);
    } finally {
      client.abort();
    }
  });

  it('decides concurrent writes through both processes under the ledger lock (noOverdraft)', async () => {
    expect((await call(worker, key, 'POST', `${L}/accounts`, { id: 'carol', normalBalance: 'credit', currency: 'USD', noOverdraft: true })).status).toBe(201);
    expect((await call(worker, key, 'POST', `${L}/transactions`, move('fund-carol', 'bank', 'carol', '100.00'))).status).toBe(201);
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) =>
      call(i % 2 ? worker : node, key, 'POST', `${L}/transactions`, move(`spend-${i}`, 'carol', 'bank', '10.00'))));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(answers.filter((a) => a.status !== 201).map((a) => a.body.code)).toEqual(Array(20).fill('INSUFFICIENT_FUNDS'));
    const balance = await call(worker, key, 'GET', `${L}/accounts/carol/balance`);
    expect([balance.body.ledgerBalance, balance.body.availableBalance]).toEqual(['0.00', '0.00']);
  });
});
