import { randomBytes } from 'node:crypto';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/adapters/db/migrations-dir.ts';
import { SQL_DIR } from '../../src/entry/open-database.ts';
import { PRIVATE_DATABASES, type PrivateDatabase } from '../support/private-database.ts';
import { startServer, stopAllServers, type Json, type Server } from '../support/server.ts';

// /health (liveness) and /ready (the database answers, the schema is current, the projector is
// within its bound) of the real Node entry, without a key, as an orchestrator calls them; and the
// pool's gauge of /metrics, which only PostgreSQL has. A
// database stopped: test/db/outage.int.test.ts. The Worker's: test/http/worker.e2e.test.ts.

const newestMigration = async () => Math.max(...(await readMigrations(SQL_DIR)).map((m) => m.version));

async function get(server: Server, path: string) {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
  return { status: response.status, cacheControl: response.headers.get('cache-control'), body: (await response.json()) as Json };
}

afterAll(() => {
  stopAllServers();
});

describe('/health and /ready on the embedded database', () => {
  let server: Server;

  beforeAll(async () => {
    server = await startServer({ DATA_DIR: 'memory://', LEDGER_BOOTSTRAP_ADMIN_KEY: `lk_${randomBytes(24).toString('base64url')}` });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('is alive and ready, saying what it checked, never from a cache', async () => {
    const health = await get(server, '/health');
    expect([health.status, health.body, health.cacheControl]).toEqual([200, { ok: true }, 'no-store']);
    const ready = await get(server, '/ready');
    expect(ready.status).toBe(200);
    expect(ready.cacheControl).toBe('no-store');
    const needed = await newestMigration();
    expect(ready.body).toEqual({
      ready: true, failed: [],
      checks: {
        database: { ok: true },
        migrations: { ok: true, detail: { applied: needed, needed } },
        projector: { ok: true, detail: { lagEvents: expect.any(Number), maxLagEvents: 100_000 } },
      },
    });
  });
});

describe.skipIf(!process.env.DATABASE_URL)('/ready and the pool\'s metrics on PostgreSQL (runs when DATABASE_URL is set)', () => {
  const adminKey = `lk_${randomBytes(24).toString('base64url')}`;
  let privateDatabase: PrivateDatabase;
  let server: Server;

  beforeAll(async () => {
    privateDatabase = await PRIVATE_DATABASES.find((d) => d.name === 'postgres')!.open();
    const [row] = await privateDatabase.database.asOwner((run) => run('select current_database() as name'));
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${String(row!.name)}`;
    server = await startServer({ DATABASE_URL: url.href, LEDGER_BOOTSTRAP_ADMIN_KEY: adminKey, LEDGER_READY_MAX_LAG: '500' });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await privateDatabase?.dispose();
  });

  it('answers 503 naming the migrations while the newest is missing, 200 once it is back; /health stays 200', async () => {
    // As if the database had been restored from before the newest migration: what `npm run migrate` fixes.
    const [deleted] = await privateDatabase.database.asOwner((run) => run(
      'delete from schema_migrations where version = (select max(version) from schema_migrations) returning version, name'));
    const needed = await newestMigration();
    expect(Number(deleted!.version)).toBe(needed);
    // The one before it (numbers may skip: the migrator applies whichever are missing).
    const [{ previous }] = await privateDatabase.database.asOwner((run) => run('select max(version)::int as previous from schema_migrations')) as [{ previous: number }];

    const behind = await get(server, '/ready');
    expect(behind.status).toBe(503);
    expect(behind.body).toMatchObject({
      ready: false, failed: ['migrations'],
      checks: { database: { ok: true }, migrations: { ok: false, detail: { applied: previous, needed } }, projector: { ok: true, detail: { maxLagEvents: 500 } } },
    });
    expect(behind.body.checks.migrations.reason).toContain('run `npm run migrate`');
    expect((await get(server, '/health')).status).toBe(200);

    await privateDatabase.database.asOwner((run) => run('insert into schema_migrations (version, name) values ($1, $2)', [deleted!.version, deleted!.name]));
    const current = await get(server, '/ready');
    expect(current.status).toBe(200);
    expect(current.body.checks.migrations).toEqual({ ok: true, detail: { applied: needed, needed } });
  });

  it('exports the run-time pool\'s use: its size, connections in use, queries waiting', async () => {
    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: { Authorization: `Bearer ${adminKey}` } });
    expect(response.status).toBe(200);
    const pool = parsePrometheusTextFormat(await response.text()).find((f) => f.name === 'ledger_db_pool_connections');
    expect(pool?.type).toBe('GAUGE');
    const value = (state: string) => Number(pool!.metrics.find((m) => m.labels?.state === state)?.value);
    expect(value('size')).toBe(10);
    for (const state of ['in_use', 'waiting']) {
      expect(Number.isInteger(value(state)), state).toBe(true);
      expect(value(state)).toBeGreaterThanOrEqual(0);
      expect(value(state)).toBeLessThanOrEqual(10);
    }
  });
});
