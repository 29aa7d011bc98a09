import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/adapters/db/database.ts';
import { openDatabase } from '../../src/entry/open-database.ts';
import { expectProblem, testApi, transfer, type TestApi } from '../support/http.ts';
import { PRIVATE_DATABASES, type PrivateDatabase } from '../support/private-database.ts';

// Spec sections 5 and 8: statement timeouts are a limit; a query cut by one is the database not
// answering now (503 UNAVAILABLE with Retry-After), never a 500; a cut write records nothing;
// and the process goes on serving.
//
// Queries are made slow on a database of their own: ledger_read_point (sql/001), which every
// read calls to resolve its recorded coordinate, and ledger_lock_head, which every write's
// ledger_lock_and_load (sql/005) calls, are shadowed through search_path (as
// recorded-time.int.test.ts shadows clock_timestamp) by versions that sleep a second first, for
// the ledgers listed in slow.chosen_ledgers only, then call the real ones. A ledger is seeded at full
// speed, then listed.

const SLOW = `
  create schema slow;
  grant usage on schema slow to ledger_app;
  create table slow.chosen_ledgers (ledger_id text not null, what text not null check (what in ('read', 'write')));
  grant select on slow.chosen_ledgers to ledger_app;
  create function slow.ledger_read_point(p_ledger_id text, p_recorded_as_of timestamptz)
  returns table (read_position bigint, read_recorded_at timestamptz, read_now timestamptz)
  language plpgsql volatile as $$
  begin
    if exists (select 1 from slow.chosen_ledgers s where s.ledger_id = p_ledger_id and s.what = 'read') then
      perform pg_sleep(1);
    end if;
    return query select * from public.ledger_read_point(p_ledger_id, p_recorded_as_of);
  end $$;
  create function slow.ledger_lock_head(p_ledger_id text)
  returns table (head_position bigint, head_hash text, commit_recorded_at timestamptz)
  language plpgsql volatile as $$
  begin
    if exists (select 1 from slow.chosen_ledgers s where s.ledger_id = p_ledger_id and s.what = 'write') then
      perform pg_sleep(1);
    end if;
    return query select * from public.ledger_lock_head(p_ledger_id);
  end $$;`;
const SEARCH_PATH = 'slow, public';
const TIMEOUT_MS = 200;
const SLEEP_MS = 1000;

const postgres = PRIVATE_DATABASES.find((d) => d.name === 'postgres');

describe.skipIf(!postgres)('the statement timeout on PostgreSQL', () => {
  let isolated: PrivateDatabase;
  const opened: Database[] = [];
  let timed: TestApi;
  let untimed: TestApi;

  beforeAll(async () => {
    isolated = await postgres!.open();
    const [{ name }] = (await isolated.database.asOwner((run) => run('select current_database() as name'))) as [{ name: string }];
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${name}`;
    // The service's database as the entry opens it (migrated, run-time pool as ledger_app), once
    // with a timeout and once without. Both are opened before the database's search_path changes:
    // the migration runner names schema_migrations unqualified, so with `slow` first on the path
    // it would look for its bookkeeping there and run every migration again.
    for (const statementTimeoutMs of [TIMEOUT_MS, 0]) opened.push(await openDatabase({ databaseUrl: url.href, statementTimeoutMs }));
    await isolated.database.asOwner((run) => run(`${SLOW}
      alter database ${name} set search_path = ${SEARCH_PATH};`));
    // The run-time pools connect on their first query, from here on: with the shadows.
    timed = await testApi(opened[0]!);
    untimed = await testApi(opened[1]!);
  });
  afterAll(async () => {
    await Promise.all(opened.map((database) => database.close()));
    await isolated?.dispose();
  });

  const balancePath = (ledgerId: string) => `/v1/ledgers/${ledgerId}/accounts/alice/balance`;
  let count = 0;
  /** A new ledger with a 5.00 deposit to alice, recorded at full speed, then made slow to `what`. */
  const slowLedger = async (api: TestApi, what: 'read' | 'write' | null) => {
    const ledgerId = await api.seedLedger({ ledgerId: `timeout-${Date.now().toString(36)}-${count++}` });
    const deposit = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer('d-1', '2026-03-01T10:00:00Z', 'bank', 'alice', '5.00') });
    expect(deposit.status, deposit.text).toBe(201);
    if (what) await isolated.database.asOwner((run) => run('insert into slow.chosen_ledgers values ($1, $2)', [ledgerId, what]));
    return ledgerId;
  };
  const timedMs = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const started = performance.now();
    const result = await work();
    return [result, performance.now() - started];
  };

  it(`answers a read cut by a ${TIMEOUT_MS} ms timeout with 503 UNAVAILABLE and Retry-After, and goes on serving`, async () => {
    const api = timed;
    const slow = await slowLedger(api, 'read');
    const fast = await slowLedger(api, null);

    const [cut, tookMs] = await timedMs(() => api.call('GET', balancePath(slow)));
    expectProblem(cut, 503, 'UNAVAILABLE');
    expect(cut.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
    expect(cut.body.detail).toMatch(/timeout/i);
    expect(cut.headers.get('x-request-id')).toEqual(expect.any(String));
    // Cancelled at the timeout, not answered after the sleep.
    expect(tookMs).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
    expect(tookMs).toBeLessThan(SLEEP_MS);

    // Several at once: each cut, none a 500.
    const cuts = await Promise.all(Array.from({ length: 3 }, () => api.call('GET', balancePath(slow))));
    expect(cuts.map((a) => a.status)).toEqual([503, 503, 503]);

    // The process and its pool keep serving: reads on another ledger, more requests than the
    // pool has connections, and writes on the slow ledger (a write resolves no read point).
    for (let i = 0; i < 12; i++) {
      const read = await api.call('GET', balancePath(fast));
      expect(read.status, read.text).toBe(200);
      expect(read.body.ledgerBalance).toBe('5.00');
    }
    const write = await api.call('POST', `/v1/ledgers/${slow}/transactions`, { body: transfer('d-2', '2026-03-01T11:00:00Z', 'bank', 'alice', '1.00') });
    expect(write.status, write.text).toBe(201);
    // Every read of the slow ledger is still cut, every time: nothing is cached or stuck.
    expectProblem(await api.call('GET', `/v1/ledgers/${slow}`), 503, 'UNAVAILABLE');
  });

  it('answers a write cut by the timeout with 503 and records nothing, alone or in a group commit', async () => {
    const api = timed;
    const slow = await slowLedger(api, 'write');
    const head = await api.head(slow);

    const [cut, tookMs] = await timedMs(() => api.call('POST', `/v1/ledgers/${slow}/transactions`, { body: transfer('w-1', '2026-03-01T11:00:00Z', 'bank', 'alice', '1.00') }));
    expectProblem(cut, 503, 'UNAVAILABLE');
    expect(cut.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
    expect(tookMs).toBeLessThan(SLEEP_MS);
    // Concurrent writes to one ledger commit as a group, then one by one when the group fails.
    const group = await Promise.all([2, 3, 4].map((n) => api.call('POST', `/v1/ledgers/${slow}/transactions`, { body: transfer(`w-${n}`, '2026-03-01T11:00:00Z', 'bank', 'alice', '1.00') })));
    expect(group.map((a) => [a.status, a.body.code])).toEqual([[503, 'UNAVAILABLE'], [503, 'UNAVAILABLE'], [503, 'UNAVAILABLE']]);

    expect(await api.head(slow)).toBe(head);
    for (const id of ['w-1', 'w-2', 'w-3', 'w-4']) expect((await api.call('GET', `/v1/ledgers/${slow}/transactions/${id}`)).status).toBe(404);
    // Without the timeout, the same write waits out the sleep and is recorded.
    const [done, slowMs] = await timedMs(() => untimed.call('POST', `/v1/ledgers/${slow}/transactions`, { body: transfer('w-1', '2026-03-01T11:00:00Z', 'bank', 'alice', '1.00') }));
    expect(done.status, done.text).toBe(201);
    expect(slowMs).toBeGreaterThanOrEqual(SLEEP_MS * 0.9);
    expect(await api.head(slow)).toBe(head + 1);
  });

  it('lets the same slow read finish when the timeout is 0 (off)', async () => {
    const slow = await slowLedger(untimed, 'read');
    const [answer, tookMs] = await timedMs(() => untimed.call('GET', balancePath(slow)));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.ledgerBalance).toBe('5.00');
    expect(tookMs).toBeGreaterThanOrEqual(SLEEP_MS * 0.9);
  });
});

describe('the statement timeout on PGlite', () => {
  // PGlite is PostgreSQL compiled to WebAssembly and run in-process: it has no timer signal to
  // cancel a running statement, so statement_timeout is not enforced there (openDatabase says
  // so; the operations docs too). The PostgreSQL suite above runs when DATABASE_URL is set.
  it.skip('is not enforced: WebAssembly PGlite has no timer to cancel a statement with', () => {});
});
