import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Tables } from '../../src/adapters/db/schema.ts';
import { testApi } from '../support/http.ts';
import { PRIVATE_DATABASES } from '../support/private-database.ts';

// A trial balance read right after its ledger was loaded, before anything analyzed the tables
// again: the statistics know a big ledger of two accounts and nothing of this one. Planned with
// them, each account's sums read the ledger's postings by position (the primary key, a few rows
// by the estimates) and filtered them by account: all of the ledger's postings up to P for each
// account, past the statement timeout at 10,000 accounts after a 1,000,000-posting ledger
// (session 13's 503). Counted as the postings table's blocks the read asks for: a few for each
// account, not the ledger's pages for each.

const BIG_TRANSFERS = 10_000;
const ACCOUNTS = 400;
const TRANSFERS = ACCOUNTS * 5;
const DAY_MS = 86_400_000;

describe.each(PRIVATE_DATABASES)('a trial balance with statistics from before its ledger was loaded, on $name', ({ open }) => {
  it('reads each account by its own postings', { timeout: 300_000 }, async () => {
    const { database, dispose } = await open();
    try {
      const api = await testApi(database);
      const nowMs = Date.now();
      const batch = async (ledgerId: string, transactions: unknown[]) => {
        const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions } });
        expect(answer.status, answer.text).toBe(200);
      };
      const big = await api.seedLedger({ accounts: [{ id: 'funding', normalBalance: 'debit', currency: 'USD' }, { id: 'wallet', normalBalance: 'credit', currency: 'USD' }] });
      for (let n = 0; n < BIG_TRANSFERS; n += 1000) {
        await batch(big, Array.from({ length: 1000 }, (_, i) => ({ id: `f${n + i}`, effectiveAt: new Date(nowMs - ((n + i) % 365) * DAY_MS).toISOString(),
          postings: [{ accountId: 'funding', direction: 'debit', amount: '2.50' }, { accountId: 'wallet', direction: 'credit', amount: '2.50' }] })));
      }
      await database.asOwner((run) => run('vacuum analyze'));

      const ids = Array.from({ length: ACCOUNTS }, (_, i) => `a-${String(i).padStart(3, '0')}`);
      const wide = await api.seedLedger({ accounts: ids.map((id, i) => ({ id, normalBalance: i % 2 ? 'credit' : 'debit', currency: 'USD' })) });
      for (let n = 0; n < TRANSFERS; n += 500) {
        await batch(wide, Array.from({ length: 500 }, (_, i) => {
          const t = n + i;
          return { id: `t${t}`, effectiveAt: new Date(nowMs - (t % 365) * DAY_MS).toISOString(),
            postings: [{ accountId: ids[t % ACCOUNTS], direction: 'debit', amount: `${1 + (t % 97)}.01` }, { accountId: ids[(t * 7 + 1) % ACCOUNTS], direction: 'credit', amount: `${1 + (t % 97)}.01` }] };
        }));
      }
      // At the ledger's head: by the statistics, a few rows (none of the ledger's were seen).
      const position = await api.head(wide);
      const effectiveAt = new Date(nowMs - 100 * DAY_MS).toISOString();
      // One session, as a pooled connection of the service's (PGlite is one session).
      const inOneSession = <T>(work: (db: Kysely<Tables>) => Promise<T>) => database.kind === 'pglite' ? work(database.db) : database.db.connection().execute(work);
      const { blocks, sums } = await inOneSession(async (db) => {
        await sql`begin`.execute(db);
        try {
          const counted = async () => (await sql<{ blocks: number }>`select pg_stat_get_xact_blocks_fetched('postings'::regclass)::int as blocks`.execute(db)).rows[0]!.blocks;
          const before = await counted();
          const { rows } = await sql<{ account_id: string; posted_debits: string; posted_credits: string }>`
            select account_id, posted_debits::text, posted_credits::text
              from ledger_trial_balance(${wide}, ${ids}::text[], ${position}, ${effectiveAt}::timestamptz, 0) order by account_id`.execute(db);
          return { blocks: (await counted()) - before, sums: rows };
        } finally {
          await sql`commit`.execute(db);
        }
      });
      const plain = await database.asOwner((run) => run(`
        select a.id as account_id,
               coalesce(sum(p.amount) filter (where p.direction = 'debit'), 0)::text as posted_debits,
               coalesce(sum(p.amount) filter (where p.direction = 'credit'), 0)::text as posted_credits
          from unnest(array[${ids.map((id) => `'${id}'`).join(',')}]) as a(id)
          left join postings p on p.ledger_id = '${wide}' and p.account_id = a.id and p.position <= ${position}
                              and p.status = 'posted' and p.effective_at <= '${effectiveAt}'::timestamptz
         group by a.id order by a.id`));
      expect(sums).toEqual(plain);
      // A few blocks an account: its index entries, and the heap pages of its 10 postings (not yet
      // marked all-visible), about 10. The wrong plans read the ledger's pages again for each
      // account (64 a account up to a fifth of the ledger, 390 by a sequential scan).
      expect(blocks).toBeLessThan(ACCOUNTS * 16);
    } finally {
      await dispose();
    }
  });
});
