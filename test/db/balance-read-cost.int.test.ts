import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Tables } from '../../src/adapters/db/schema.ts';
import { testApi } from '../support/http.ts';
import { PRIVATE_DATABASES } from '../support/private-database.ts';

// A balance read of one account with no checkpoint near P (here: 1,000 postings, fewer than the
// spacing) reads its posted postings in position order, the order they were written in: a few
// heap pages. It went through the many-account pass before, whose plan read them by effective
// time (a page per posting, 1,000 here) or scanned the whole table. Counted as the postings
// table's blocks one read asks for, and its sequential scans, in a session that has kept its
// plans over the reads before it (sql/functions/ledger_point_reads.sql).

const POSTINGS = 1000;
const DAY_MS = 86_400_000;

describe.each(PRIVATE_DATABASES)('a balance read on $name', ({ open }) => {
  it(`reads a ${POSTINGS}-posting account's postings in position order, a few pages`, { timeout: 120_000 }, async () => {
    const { database, dispose } = await open();
    try {
      const api = await testApi(database, { checkpointsBuiltBy: 'projector' });
      const ledgerId = await api.seedLedger();
      const nowMs = Date.now();
      for (let n = 0; n < POSTINGS; n += 250) {
        // Each transfer posts to the wallet and to the bank, dated at random over the past year.
        const transactions = Array.from({ length: 250 }, (_, i) => ({ id: `t${n + i}`, effectiveAt: new Date(nowMs - ((n + i) * 7919 % 365) * DAY_MS).toISOString(),
          postings: [{ accountId: 'bank', direction: 'debit', amount: '1.25' }, { accountId: 'alice', direction: 'credit', amount: '1.25' }] }));
        const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions } });
        expect(answer.status, answer.text).toBe(200);
      }
      await database.asOwner((run) => run('analyze'));
      const halfYearAgo = new Date(nowMs - 182 * DAY_MS).toISOString();
      // One session for the reads, as a pooled connection of the service's: its kept plans are the ones looked at (PGlite is one session).
      const inOneSession = <T>(work: (db: Kysely<Tables>) => Promise<T>) => database.kind === 'pglite' ? work(database.db) : database.db.connection().execute(work);
      const { blocks, seqScans, posted } = await inOneSession(async (db) => {
        const read = async () => (await sql<{ posted_credits: string }>`
          select posted_credits::text from ledger_balance_read(${ledgerId}, 'alice', null, null, ${halfYearAgo}::timestamptz, 0)`.execute(db)).rows[0]!.posted_credits;
        for (let i = 0; i < 8; i++) await read(); // more than the 5 custom plans plpgsql makes before it may keep a generic one
        const counts = async () => (await sql<{ blocks: number; seq_scans: number }>`
          select pg_stat_get_xact_blocks_fetched('postings'::regclass)::int as blocks, pg_stat_get_xact_numscans('postings'::regclass)::int as seq_scans`.execute(db)).rows[0]!;
        await sql`begin`.execute(db);
        try {
          const before = await counts();
          const answer = await read();
          const after = await counts();
          return { blocks: after.blocks - before.blocks, seqScans: after.seq_scans - before.seq_scans, posted: answer };
        } finally {
          await sql`commit`.execute(db);
        }
      });
      const [plain] = await database.asOwner((run) => run(`select sum(amount)::text as s from postings
        where ledger_id = '${ledgerId}' and account_id = 'alice' and status = 'posted' and effective_at <= '${halfYearAgo}'::timestamptz`));
      expect(posted).toBe(String(plain!.s));
      expect(seqScans).toBe(0);
      expect(blocks).toBeLessThan(POSTINGS / 5);
    } finally {
      await dispose();
    }
  });
});
