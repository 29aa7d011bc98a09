import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Tables } from '../../src/adapters/db/schema.ts';
import { testApi } from '../support/http.ts';
import { PRIVATE_DATABASES } from '../support/private-database.ts';

// A step of the balance projector (ledger_project.sql, with the reporting fold) reads what it
// folds through keys, and starts a few index scans of postings whatever it touches: before the
// tallies of sql/021 it scanned the tail of every account it touched (89 scans for this step of 50
// events), and on a new database a plan plpgsql kept for the fold, made while the tables looked
// small, probed the postings of every account of the ledger in every step. Counted as the index
// scans that one step starts on `postings`, in a session that has kept its plans over the steps
// before it, on a log written and analyzed before any step (a projector starting late).

const ACCOUNTS = 300;

describe.each(PRIVATE_DATABASES)('a projector step on $name', ({ open }) => {
  it(`starts a few index scans of postings, not one per account of a ${ACCOUNTS}-account ledger`, { timeout: 120_000 }, async () => {
    const { database, dispose } = await open();
    try {
      const api = await testApi(database, { checkpointsBuiltBy: 'projector' });
      const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({ id: `a${i}`, normalBalance: i % 2 === 0 ? 'debit' : 'credit', currency: 'USD' }));
      const ledgerId = await api.seedLedger({ accounts });
      // A log of 1,000 transfers, analyzed, and no projector yet: as a projector starting late finds it.
      for (let n = 0; n < 1000; n += 100) {
        const transactions = Array.from({ length: 100 }, (_, i) => ({ id: `t${n + i}`, postings: [
          { accountId: `a${(n + i) % ACCOUNTS}`, direction: 'debit', amount: '1.00' }, { accountId: `a${((n + i) * 7 + 1) % ACCOUNTS}`, direction: 'credit', amount: '1.00' }] }));
        const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions } });
        expect(answer.status, answer.text).toBe(200);
      }
      await database.asOwner((run) => run('analyze'));
      // One session for the steps, as the projector's: its kept plans are the ones looked at (PGlite is one session).
      const inOneSession = <T>(work: (db: Kysely<Tables>) => Promise<T>) => database.kind === 'pglite' ? work(database.db) : database.db.connection().execute(work);
      const scans = await inOneSession(async (db) => {
        const step = async () => Number((await sql<{ reached: string }>`select ledger_project(${ledgerId}, 50, 1000) as reached`.execute(db)).rows[0]!.reached);
        for (let i = 0; i < 15; i++) await step(); // more than the 5 custom plans plpgsql makes before keeping a generic one
        const started = async () => Number((await sql<{ n: number }>`
          select coalesce(sum(pg_stat_get_xact_numscans(i.indexrelid)), 0)::int as n from pg_index i where i.indrelid = 'postings'::regclass`.execute(db)).rows[0]!.n);
        await sql`begin`.execute(db);
        try {
          const before = await started();
          expect(await step()).toBe(16 * 50);
          return (await started()) - before;
        } finally {
          await sql`commit`.execute(db);
        }
      });
      expect(scans).toBeLessThan(20);
    } finally {
      await dispose();
    }
  });
});
