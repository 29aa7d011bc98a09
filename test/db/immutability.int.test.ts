import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/adapters/db/database.ts';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { migrate } from '../../src/adapters/db/migrate.ts';
import { readFunctionFiles, readMigrations } from '../../src/adapters/db/migrations-dir.ts';
import { SQL_DIR } from '../../src/entry/open-database.ts';
import { DATABASES } from '../support/databases.ts';
import { testApi, type TestApi } from '../support/http.ts';

/** A table of sql/002, the rows this suite owns in it, and a change to try on them. */
interface Target {
  readonly table: string;
  readonly where: string;
  readonly set: string;
}

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

function targets(ledgerId: string, keyId: string): Target[] {
  const inLedger = `ledger_id = ${quote(ledgerId)}`;
  const ofKey = `key_id = ${quote(keyId)}`;
  return [
    { table: 'ledgers', where: inLedger, set: `name = name || 'x'` },
    { table: 'events', where: inLedger, set: `type = 'Tampered'` },
    { table: 'assets', where: inLedger, set: 'scale = scale + 1' },
    { table: 'accounts', where: inLedger, set: 'no_overdraft = not no_overdraft' },
    { table: 'account_closures', where: inLedger, set: 'position = position + 1' },
    { table: 'transactions', where: inLedger, set: `effective_at = effective_at + interval '1 day'` },
    { table: 'postings', where: inLedger, set: 'amount = amount * 2' },
    { table: 'idempotency_keys', where: inLedger, set: `request = '{}'::jsonb` },
    { table: 'rejections', where: inLedger, set: `code = 'FORGIVEN'` },
    { table: 'balance_checkpoints', where: inLedger, set: 'debits = debits + 1' },
    { table: 'projector_progress', where: inLedger, set: 'position = position + 1' },
    { table: 'api_keys', where: ofKey, set: `role = 'admin'` },
    { table: 'api_key_revocations', where: ofKey, set: `revoked_at = revoked_at + interval '1 day'` },
  ];
}

/**
 * TRUNCATE has no WHERE: should it ever succeed, the DO block's exception rolls it back, so a
 * failing run cannot empty the tables other suites share. api_key_revocations references
 * api_keys, so they go together (alone, api_keys would fail on the foreign key first).
 */
function guardedTruncate(table: string): string {
  const tables = table === 'api_keys' ? 'api_keys, api_key_revocations' : table;
  return `do $$ begin truncate ${tables}; raise exception 'TRUNCATE ${tables} was not refused'; end $$`;
}

const refusedByTrigger = (op: string, table: string) => ({
  code: '42501',
  message: op === 'TRUNCATE' && table === 'api_keys'
    ? expect.stringMatching(/^ledger tables are append-only: TRUNCATE on api_key(s|_revocations) is refused$/)
    : `ledger tables are append-only: ${op} on ${table} is refused`,
});

describe.each(DATABASES)('append-only tables on $name', ({ open }) => {
  let database: Database;
  let api: TestApi;
  let ledgerId: string;
  let keyId: string;
  const owner = (script: string) => database.asOwner((run) => run(script));

  /** Per table: how many of this suite's rows there are and a digest of their contents. */
  const snapshot = () =>
    database.asOwner(async (run) => {
      const digests: Record<string, { rows: number; digest: string }> = {};
      for (const { table, where } of targets(ledgerId, keyId)) {
        const [row] = await run(`select count(*)::int as rows, md5(string_agg(t::text, ',' order by t::text)) as digest from ${table} t where ${where}`);
        digests[table] = row as { rows: number; digest: string };
      }
      return digests;
    });

  beforeAll(async () => {
    database = await open();
    api = await testApi(database, { checkpointEvery: 1 });
    // A row in every append-only table: a ledger, an asset, accounts (one closed), transactions,
    // a revoked key, a rejection, and a balance checkpoint (built by a read after two postings).
    ledgerId = await api.seedLedger({ accounts: [
      { id: 'bank', normalBalance: 'debit', currency: 'USD' },
      { id: 'alice', normalBalance: 'credit', currency: 'USD' },
      { id: 'spare', normalBalance: 'credit', currency: 'USD' },
    ] });
    const steps = [
      await api.call('POST', `/v1/ledgers/${ledgerId}/assets`, { body: { code: 'POINTS', scale: 0 } }),
      await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: { id: 'dep-1', postings: [
        { accountId: 'bank', direction: 'debit', amount: '10.00' },
        { accountId: 'alice', direction: 'credit', amount: '10.00' },
      ] } }),
      await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: { id: 'dep-0', postings: [
        { accountId: 'bank', direction: 'debit', amount: '5.00' },
        { accountId: 'alice', direction: 'credit', amount: '5.00' },
      ] } }),
      await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/bank/balance`),
      await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/spare/close`),
      await api.call('POST', '/v1/keys', { body: { name: 'doomed', role: 'reader', ledgerIds: [ledgerId] } }),
      // Refused, so the rejection log has a row.
      await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: { id: 'dep-1', postings: [
        { accountId: 'bank', direction: 'debit', amount: '99.00' },
        { accountId: 'alice', direction: 'credit', amount: '99.00' },
      ] } }),
    ];
    expect(steps.map((s) => s.status)).toEqual([201, 201, 201, 200, 201, 201, 409]);
    expect(steps[3]!.body.ledgerBalance).toBe('15.00');
    keyId = steps[5]!.body.id;
    expect((await api.call('POST', `/v1/keys/${keyId}/revoke`)).status).toBe(200);
    // A projector step, so that projector_progress has a row.
    expect(await createLedgerStore(database.db).project(ledgerId, 1000)).toBeGreaterThan(0);
  });
  afterAll(() => database.close());

  it('refuses UPDATE, DELETE and TRUNCATE to the tables\' owner, and leaves the rows as they were', async () => {
    const before = await snapshot();
    // Row triggers fire only on rows: each table must hold some of this suite's.
    for (const [table, { rows }] of Object.entries(before)) expect(rows, `rows of ${table}`).toBeGreaterThan(0);
    const [who] = await owner(`select current_user as me, (select tableowner from pg_tables where tablename = 'events') as owner`);
    expect(who!.me).toBe(who!.owner);
    expect(who!.me).not.toBe('ledger_app');

    for (const { table, where, set } of targets(ledgerId, keyId)) {
      await expect(owner(`update ${table} set ${set} where ${where}`), `UPDATE ${table}`).rejects.toMatchObject(refusedByTrigger('UPDATE', table));
      await expect(owner(`delete from ${table} where ${where}`), `DELETE ${table}`).rejects.toMatchObject(refusedByTrigger('DELETE', table));
      await expect(owner(guardedTruncate(table)), `TRUNCATE ${table}`).rejects.toMatchObject(refusedByTrigger('TRUNCATE', table));
    }
    expect(await snapshot()).toEqual(before);
  });

  it('gives the run-time role no UPDATE, DELETE or TRUNCATE privilege at all', async () => {
    const before = await snapshot();
    const { rows } = await sql<{ me: string }>`select current_user as me`.execute(database.db);
    expect(rows[0]!.me).toBe('ledger_app');

    for (const { table, where, set } of targets(ledgerId, keyId)) {
      const denied = { code: '42501', message: `permission denied for table ${table}` };
      await expect(sql.raw(`update ${table} set ${set} where ${where}`).execute(database.db), `UPDATE ${table}`).rejects.toMatchObject(denied);
      await expect(sql.raw(`delete from ${table} where ${where}`).execute(database.db), `DELETE ${table}`).rejects.toMatchObject(denied);
      await expect(sql.raw(guardedTruncate(table)).execute(database.db), `TRUNCATE ${table}`).rejects.toMatchObject(denied);
    }
    // The query builder the store uses meets the same refusal.
    await expect(database.db.updateTable('events').set({ type: 'Tampered' }).where('ledger_id', '=', ledgerId).execute())
      .rejects.toMatchObject({ code: '42501', message: 'permission denied for table events' });
    await expect(database.db.deleteFrom('postings').where('ledger_id', '=', ledgerId).execute())
      .rejects.toMatchObject({ code: '42501', message: 'permission denied for table postings' });
    expect(await snapshot()).toEqual(before);
    // And the session is still usable: the store goes on writing.
    const after = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: { id: 'dep-2', postings: [
      { accountId: 'bank', direction: 'debit', amount: '1.00' },
      { accountId: 'alice', direction: 'credit', amount: '1.00' },
    ] } });
    expect(after.status).toBe(201);
  });

  it('applies each migration once and records it, however often the database is opened', async () => {
    const files = (await readMigrations(SQL_DIR)).map(({ version, name }) => ({ version, name }));
    expect(files.slice(0, 2)).toEqual([{ version: 1, name: 'ledger_core' }, { version: 2, name: 'append_only' }]);
    const functions = await readFunctionFiles(SQL_DIR);
    expect(functions.map((f) => f.name)).toContain('ledger_lock_and_load');
    const again = await open();
    try {
      for (const opened of [database, again]) {
        expect(await migrate(opened, await readMigrations(SQL_DIR), functions)).toEqual({ migrations: [], functions: [] });
        const recorded = await opened.asOwner((run) => run('select version, name from schema_migrations order by version'));
        expect(recorded).toEqual(files);
      }
    } finally {
      await again.close();
    }
  });

  it('applies a function file again when it changes, and only then', async () => {
    const functions = await readFunctionFiles(SQL_DIR);
    const readPoint = functions.find((f) => f.name === 'ledger_read_point')!;
    const changed = { ...readPoint, sql: `${readPoint.sql}\n-- changed\n` };
    const others = functions.filter((f) => f !== readPoint);
    const migrations = await readMigrations(SQL_DIR);
    expect(await migrate(database, migrations, [...others, changed])).toEqual({ migrations: [], functions: [changed] });
    expect(await migrate(database, migrations, [...others, changed])).toEqual({ migrations: [], functions: [] });
    // Back as it was: applied once more, and every application is kept.
    expect(await migrate(database, migrations, functions)).toEqual({ migrations: [], functions: [readPoint] });
    const applied = await database.asOwner((run) => run(`select count(*)::int as n from schema_functions where name = 'ledger_read_point'`));
    expect(applied[0]!.n).toBeGreaterThanOrEqual(3);
  });

  it('defines every function in sql/functions/ only: numbered migrations create and alter tables', async () => {
    for (const migration of await readMigrations(SQL_DIR)) {
      expect(migration.sql, `${migration.version}_${migration.name}`).not.toMatch(/create\s+(or\s+replace\s+)?function/i);
    }
    const defined = (await readFunctionFiles(SQL_DIR)).flatMap((f) => [...f.sql.matchAll(/create\s+or\s+replace\s+function\s+([\w.]+)/gi)].map((m) => m[1]!));
    expect(new Set(defined).size, 'a function defined twice').toBe(defined.length);
  });
});
