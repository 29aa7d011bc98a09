import { sql, type Kysely } from 'kysely';
import type { Tables } from '../../src/adapters/db/schema.ts';
import { describe, expect, it } from 'vitest';
import { testApi } from '../support/http.ts';
import { PRIVATE_DATABASES } from '../support/private-database.ts';

// The slow way's load (sql/functions/ledger_lock_and_load.sql) probes the primary key of each
// transaction, account and idempotency key a batch names, whatever the statistics say. With
// `= any (array)`, a ledger loaded faster than autovacuum's next analyze (the statistics made
// while it had no rows) was read whole on every write that went the slow way: the transactions'
// and idempotency keys' primary keys scanned over the ledger with the ids as a filter (50 ms a
// noOverdraft write at 100,000 transactions in the bench). Counted as the blocks the load asks
// of those tables, under statistics made before the ledger had a row.

const TRANSACTIONS = 4000;

describe.each(PRIVATE_DATABASES)('the slow way\'s load on $name', ({ open }) => {
  it(`probes what a write names among ${TRANSACTIONS} transactions, a few pages, with statistics from before the ledger had any`, { timeout: 120_000 }, async () => {
    const { database, dispose } = await open();
    try {
      const api = await testApi(database);
      const load = async (ledgerId: string, count: number) => {
        for (let n = 0; n < count; n += 1000) {
          const transactions = Array.from({ length: 1000 }, (_, i) => ({ id: `t${n + i}`,
            postings: [{ accountId: 'bank', direction: 'debit', amount: '1.25' }, { accountId: 'alice', direction: 'credit', amount: '1.25' }] }));
          const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions } });
          expect(answer.status, answer.text).toBe(200);
        }
      };
      // The statistics know another ledger only (as after a first ledger's load): this one's
      // rows look like none.
      await load(await api.seedLedger({ ledgerId: 'first' }), 1000);
      await database.asOwner((run) => run('analyze'));
      const ledgerId = await api.seedLedger();
      await load(ledgerId, TRANSACTIONS);
      const claims = [{ scope: 'transaction', key: 't17' }, { scope: 'transaction', key: 'new-1' }, { scope: 'transaction', key: 'new-2' }];
      const tables = ['transactions', 'idempotency_keys', 'accounts'];
      const loadState = () => sql<{ loaded: { transactions: { data: { id: string } }[]; records: { key: string }[]; accounts: { accountId: string }[] } }>`
        select ledger_lock_and_load(${ledgerId}, ${JSON.stringify(['bank', 'alice'])}::text::jsonb, ${JSON.stringify(['t42', 'missing'])}::text::jsonb,
          ${JSON.stringify(claims)}::text::jsonb, now(), '[]'::jsonb, false, 1000) as loaded`;
      const counts = async (trx: Kysely<Tables>) => {
        const found: number[] = [];
        for (const table of tables) found.push((await sql<{ blocks: number }>`select pg_stat_get_xact_blocks_fetched(${table}::regclass)::int as blocks`.execute(trx)).rows[0]!.blocks);
        return found;
      };
      // One transaction (PGlite is one session): the counts are the transaction's own.
      const { loaded, blocks } = await database.db.transaction().execute(async (trx) => {
        for (let i = 0; i < 7; i++) await loadState().execute(trx); // past the 5 custom plans plpgsql makes before it may keep a generic one
        const before = await counts(trx);
        const answer = (await loadState().execute(trx)).rows[0]!.loaded;
        const after = await counts(trx);
        return { loaded: answer, blocks: after.map((b, i) => b - before[i]!) };
      });
      expect(loaded.transactions.map((t) => t.data.id)).toEqual(['t42']);
      expect(loaded.records.map((r) => r.key)).toEqual(['t17']);
      expect(loaded.accounts.map((a) => a.accountId).sort()).toEqual(['alice', 'bank']);
      expect(blocks.reduce((sum, b) => sum + b, 0), `blocks of ${tables.join(', ')}: ${blocks.join(', ')}`).toBeLessThan(60);
    } finally {
      await dispose();
    }
  });
});
