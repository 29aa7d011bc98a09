import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeOnEachDatabase } from '../support/http.ts';

// When the projector builds an account's next balance checkpoint (sql/024,
// sql/functions/ledger_project.sql): once the posted postings after its latest one are more than
// twice that one's day rows, within an eighth of the spacing and the spacing itself. A small
// account's read then folds a short tail (it had none before the spacing: 1,000 postings), while
// a checkpoint adds at most half a row a posting where the spacing did not bound it already.

const EVERY = 64;
const LEAST = EVERY / 8;
const DAY_MS = 86_400_000;
/** The due length after a checkpoint of `days` day rows. */
const dueAfter = (days: number) => Math.min(EVERY, Math.max(LEAST, 2 * days));

describeOnEachDatabase('the projector\'s checkpoint schedule', (api) => {
  it('builds each checkpoint once the tail passes twice the day rows of the one before, and keeps the tally exact', { timeout: 120_000 }, async () => {
    const ledgerId = await api.seedLedger();
    const nowMs = Date.now();
    // alice: 300 postings over 40 days (the due length grows from 8 to 64 with the day rows), merchant: 30 on one day.
    for (let n = 0; n < 330; n += 55) {
      const transactions = Array.from({ length: 55 }, (_, k) => {
        const i = n + k;
        const to = i < 300 ? 'alice' : 'merchant';
        const effectiveAt = new Date(nowMs - (to === 'alice' ? (i * 7) % 40 : 3) * DAY_MS).toISOString();
        return { id: `t${i}`, effectiveAt, postings: [{ accountId: 'bank', direction: 'debit', amount: '1.00' }, { accountId: to, direction: 'credit', amount: '1.00' }] };
      });
      const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions } });
      expect(answer.status, answer.text).toBe(200);
      await api.store.project(ledgerId, 17 + n); // steps of several sizes
    }
    const head = await api.head(ledgerId);
    while ((await api.store.project(ledgerId, 40)) !== head);
    for (const account of ['alice', 'merchant']) {
      const { rows: checkpoints } = await sql<{ position: string; days: string }>`
        select b.position::text as position, count(*)::text as days from balance_checkpoints b
         where b.ledger_id = ${ledgerId} and b.account_id = ${account} group by b.position order by b.position`.execute(api.database.db);
      const { rows: positions } = await sql<{ position: string }>`
        select p.position::text as position from postings p
         where p.ledger_id = ${ledgerId} and p.account_id = ${account} and p.status = 'posted' order by p.position`.execute(api.database.db);
      const postedAt = positions.map((p) => Number(p.position));
      // Each checkpoint is at the posting after the due length that the one before called for.
      let after = 0;
      let days = 0;
      const expected: number[] = [];
      for (;;) {
        const tail = postedAt.filter((p) => p > after);
        if (tail.length <= dueAfter(days)) break;
        after = tail[dueAfter(days)]!;
        expected.push(after);
        const built = checkpoints.find((c) => Number(c.position) === after);
        if (!built) break; // not where it is due: the comparison below says where they are
        days = Number(built.days);
      }
      expect(checkpoints.map((c) => Number(c.position)), account).toEqual(expected);
      const [tally] = (await sql<{ posted: string; due: string }>`
        select posted::text, due::text from balance_tails where ledger_id = ${ledgerId} and account_id = ${account}`.execute(api.database.db)).rows;
      expect({ posted: Number(tally!.posted), due: Number(tally!.due) }, account).toEqual({ posted: postedAt.filter((p) => p > after).length, due: dueAfter(days) });
    }
    // alice: the first at the 9th posting, each later one further apart as her days grow; merchant (one day): every 9.
    const alice = (await sql<{ n: string }>`select count(distinct position)::text as n from balance_checkpoints where ledger_id = ${ledgerId} and account_id = 'alice'`.execute(api.database.db)).rows[0]!;
    expect(Number(alice.n)).toBeGreaterThan(4);
    // Reads through them answer the fold at every position and a few effective times.
    for (let position = 4; position <= head; position += 23) {
      for (const daysAgo of [0, 5, 17.5, 39]) {
        const effectiveAsOf = new Date(nowMs - daysAgo * DAY_MS).toISOString();
        const read = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?recordedAsOfPosition=${position}&effectiveAsOf=${effectiveAsOf}`);
        expect(read.status, read.text).toBe(200);
        const [fold] = (await sql<{ s: string }>`
          select coalesce(sum(amount), 0)::numeric(40, 2)::text as s from postings where ledger_id = ${ledgerId} and account_id = 'alice' and status = 'posted'
             and position <= ${position} and effective_at <= ${effectiveAsOf}::timestamptz`.execute(api.database.db)).rows;
        expect(read.body.posted.credits, `at ${position}, ${effectiveAsOf}`).toBe(fold!.s);
      }
    }
  });
}, { checkpointEvery: EVERY, checkpointsBuiltBy: 'projector' });
