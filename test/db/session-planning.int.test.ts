import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/adapters/db/database.ts';
import { openDatabase } from '../../src/entry/open-database.ts';

// The run-time sessions on PostgreSQL plan for short queries (src/adapters/db/postgres.ts,
// RUN_TIME_PLANNING): no JIT and no parallel workers. A session's PL/pgSQL functions keep the
// generic plans they made while a ledger was small; with parallel workers allowed, the balance
// sums of a wallet chose a Gather once its ledger held a million postings, and every write to it
// (and to any other wallet) took 90 ms instead of 7, starting workers to read a few hundred rows.

const url = process.env.DATABASE_URL;
const opened: Database[] = [];

afterAll(async () => {
  await Promise.all(opened.map((d) => d.close()));
});

describe.skipIf(!url)('the run-time sessions on PostgreSQL', () => {
  it('plan without JIT and without parallel workers, on every connection of the pool', async () => {
    const database = await openDatabase({ databaseUrl: url });
    opened.push(database);
    // More queries at once than one connection: they spread over the pool.
    const rows = await Promise.all(Array.from({ length: 12 }, () => sql<{ pid: number; jit: string; workers: string }>`
      select pg_backend_pid() as pid, current_setting('jit') as jit, current_setting('max_parallel_workers_per_gather') as workers, pg_sleep(0.05)`
      .execute(database.db).then((r) => r.rows[0]!)));
    expect(new Set(rows.map((r) => r.pid)).size).toBeGreaterThan(1);
    expect(new Set(rows.map((r) => `${r.jit} ${r.workers}`))).toEqual(new Set(['off 0']));
  });
});
