import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { formatInstant } from '../../src/domain/time.ts';
import { DATABASES } from '../support/databases.ts';
import { testApi, type Json } from '../support/http.ts';

// Balance checkpoints (sql/009): a balance read through checkpoints built every 25 postings
// equals the plain sum over every posting, at random (position, effective time) pairs, for
// posted, pending and scheduled sums: fold(checkpoint) + tail == fold(all).

const DAY_MS = 86_400_000;
const ACCOUNTS = ['bank', 'alice', 'merchant'];

/** Section 4's six sums straight from `postings`, with no checkpoint: the reference. */
const PLAIN_SUMS = (ledgerId: string, accountId: string, position: number, effectiveAt: string) => sql<Record<string, string>>`
  select
    coalesce(sum(amount) filter (where status = 'posted' and effective_at <= e and direction = 'debit'), 0)::text as "postedDebits",
    coalesce(sum(amount) filter (where status = 'posted' and effective_at <= e and direction = 'credit'), 0)::text as "postedCredits",
    coalesce(sum(amount) filter (where status = 'posted' and effective_at > e and recorded_at <= e and direction = 'debit'), 0)::text as "scheduledDebits",
    coalesce(sum(amount) filter (where status = 'posted' and effective_at > e and recorded_at <= e and direction = 'credit'), 0)::text as "scheduledCredits",
    coalesce(sum(amount) filter (where status = 'pending' and least(recorded_at, effective_at) <= e and (expires_at is null or expires_at > e)
      and not exists (select 1 from hold_resolutions h where h.ledger_id = p.ledger_id and h.hold_id = p.transaction_id
                        and h.position <= ${position} and least(h.recorded_at, h.effective_at) <= e)
      and direction = 'debit'), 0)::text as "pendingDebits",
    coalesce(sum(amount) filter (where status = 'pending' and least(recorded_at, effective_at) <= e and (expires_at is null or expires_at > e)
      and not exists (select 1 from hold_resolutions h where h.ledger_id = p.ledger_id and h.hold_id = p.transaction_id
                        and h.position <= ${position} and least(h.recorded_at, h.effective_at) <= e)
      and direction = 'credit'), 0)::text as "pendingCredits"
  from postings p, (select ${effectiveAt}::timestamptz as e) at_e
  where p.ledger_id = ${ledgerId} and p.account_id = ${accountId} and p.position <= ${position}`;

const sides = (debits: string, credits: string) => ({ debits, credits });

describe.each(DATABASES)('balance checkpoints on $name', ({ open }) => {
  it('answer as the plain sums do at 120 random (position, effective time) pairs', { timeout: 240_000 }, async () => {
    const database = await open();
    try {
      const api = await testApi(database, { checkpointEvery: 25 });
      const ledgerId = await api.seedLedger();
      const now = Date.now();
      const random = fc.sample(fc.tuple(fc.integer({ min: -120, max: 30 }), fc.integer({ min: 1, max: 99_999 }), fc.integer({ min: 0, max: 2 })), { numRuns: 360, seed: 9 });
      // Batches of 40, so positions and recorded times advance between them; a few holds between.
      for (let batch = 0; batch < 9; batch++) {
        const transactions = random.slice(batch * 40, batch * 40 + 40).map(([days, cents, to], i) => ({
          id: `t${batch}-${i}`,
          effectiveAt: formatInstant(BigInt(now + days * DAY_MS + i * 1000) * 1000n),
          postings: [
            { accountId: 'bank', direction: 'debit', amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}` },
            { accountId: ACCOUNTS[1 + (to % 2)]!, direction: 'credit', amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}` },
          ],
        }));
        expect((await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions } })).status).toBe(200);
        const hold = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: {
          id: `h${batch}`, status: 'pending', expiresAt: formatInstant(BigInt(now + (batch + 1) * DAY_MS) * 1000n),
          postings: [{ accountId: 'alice', direction: 'debit', amount: '3.00' }, { accountId: 'bank', direction: 'credit', amount: '3.00' }],
        } });
        expect(hold.status, hold.text).toBe(201);
        if (batch % 3 === 1) expect((await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/h${batch}/post`, { body: { } })).status).toBe(201);
        if (batch % 3 === 2) expect((await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/h${batch}/void`, { body: { } })).status).toBe(201);
      }
      const head = await api.head(ledgerId);
      const pairs = fc.sample(fc.tuple(fc.integer({ min: 1 + ACCOUNTS.length, max: head }), fc.integer({ min: -130, max: 40 }), fc.integer({ min: 0, max: DAY_MS - 1 })), { numRuns: 120, seed: 11 });
      for (const [position, days, ms] of pairs) {
        const effectiveAt = formatInstant(BigInt(now + days * DAY_MS + ms) * 1000n);
        const trial = await api.call('GET', `/v1/ledgers/${ledgerId}/balances?recordedAsOfPosition=${position}&effectiveAsOf=${encodeURIComponent(effectiveAt)}`);
        expect(trial.status, trial.text).toBe(200);
        for (const accountId of ACCOUNTS) {
          const plain = (await PLAIN_SUMS(ledgerId, accountId, position, effectiveAt).execute(database.db)).rows[0]!;
          const answer = (trial.body.accounts as Json[]).find((a) => a.accountId === accountId)!;
          const decimal = (text: string) => Number(text).toFixed(2); // cents: the amounts here are small
          expect({ posted: answer.posted, pending: answer.pending, scheduled: answer.scheduled }, `${accountId} at ${position}, ${effectiveAt}`).toEqual({
            posted: sides(decimal(plain.postedDebits!), decimal(plain.postedCredits!)),
            pending: sides(decimal(plain.pendingDebits!), decimal(plain.pendingCredits!)),
            scheduled: sides(decimal(plain.scheduledDebits!), decimal(plain.scheduledCredits!)),
          });
        }
      }
      // The reads built checkpoints: bank has a posted posting in each of about 370 transactions.
      const built = await sql<{ n: string }>`select count(distinct position)::text as n from balance_checkpoints where ledger_id = ${ledgerId} and account_id = 'bank'`.execute(database.db);
      expect(Number(built.rows[0]!.n)).toBeGreaterThanOrEqual(10);
    } finally {
      await database.close();
    }
  });

  it('read either side of an effective day: from its start before noon (UTC), back from its end after; and so does the balance history', { timeout: 120_000 }, async () => {
    const database = await open();
    try {
      const api = await testApi(database, { checkpointEvery: 1 });
      const ledgerId = await api.seedLedger();
      // Postings at 09:00, 13:00, 14:00 and 15:00 of one day, and one the day after; each amount a
      // different power of ten, so that any posting counted wrongly shows in the sum.
      const times = ['2026-03-01T13:00:00Z', '2026-03-01T14:00:00Z', '2026-03-01T15:00:00Z', '2026-03-01T09:00:00Z', '2026-03-02T00:00:00Z'];
      for (const [i, effectiveAt] of times.entries()) {
        const amount = `${10 ** i}.00`;
        const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: { id: `t${i}`, effectiveAt, postings: [
          { accountId: 'bank', direction: 'debit', amount }, { accountId: 'alice', direction: 'credit', amount }] } });
        expect(answer.status, answer.text).toBe(201);
      }
      const head = await api.head(ledgerId);
      const reads = ['2026-02-28T23:59:59.999999Z', '2026-03-01T00:00:00Z', '2026-03-01T09:00:00Z', '2026-03-01T11:59:59.999999Z', '2026-03-01T12:00:00Z',
        '2026-03-01T13:00:00Z', '2026-03-01T13:30:00Z', '2026-03-01T14:59:59.999999Z', '2026-03-01T15:00:00Z', '2026-03-01T23:59:59.999999Z', '2026-03-02T00:00:00Z'];
      for (const position of [head - 2, head - 1, head]) {
        for (const effectiveAt of reads) {
          const answer = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?recordedAsOfPosition=${position}&effectiveAsOf=${encodeURIComponent(effectiveAt)}`);
          const plain = (await PLAIN_SUMS(ledgerId, 'alice', position, effectiveAt).execute(database.db)).rows[0]!;
          expect(answer.body.posted.credits, `alice at ${position}, ${effectiveAt}`).toBe(Number(plain.postedCredits!).toFixed(2));
        }
      }
      // The daily balance history (all its points read through one checkpoint and one pass over the tail) agrees too.
      for (const position of [head - 2, head]) {
        const history = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance-history?interval=day&effectiveFrom=2026-02-27&effectiveTo=2026-03-03&recordedAsOfPosition=${position}`);
        expect(history.status, history.text).toBe(200);
        for (const item of history.body.items as Json[]) {
          const plain = (await PLAIN_SUMS(ledgerId, 'alice', position, item.effectiveAt as string).execute(database.db)).rows[0]!;
          expect(item.ledgerBalance, `alice's history at ${position}, ${item.effectiveAt as string}`).toBe(Number(plain.postedCredits!).toFixed(2));
        }
      }
      const built = await sql<{ n: string }>`select count(distinct position)::text as n from balance_checkpoints where ledger_id = ${ledgerId} and account_id = 'alice'`.execute(database.db);
      expect(Number(built.rows[0]!.n), 'the reads went through checkpoints').toBeGreaterThanOrEqual(2);
    } finally {
      await database.close();
    }
  });

  it('builds at most 100 checkpoints per call, and later calls build the rest', { timeout: 120_000 }, async () => {
    const database = await open();
    try {
      const api = await testApi(database, { checkpointEvery: 1 });
      const ledgerId = await api.seedLedger();
      const transactions = Array.from({ length: 250 }, (_, i) => ({
        id: `t${i}`, postings: [{ accountId: 'bank', direction: 'debit', amount: '1.00' }, { accountId: 'alice', direction: 'credit', amount: '1.00' }],
      }));
      expect((await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions } })).status).toBe(200);
      const head = await api.head(ledgerId);
      const checkpoints = async () => Number((await sql<{ n: string }>`select count(distinct position)::text as n from balance_checkpoints
        where ledger_id = ${ledgerId} and account_id = 'bank'`.execute(database.db)).rows[0]!.n);
      const latest = async () => Number((await sql<{ c: string }>`select ledger_checkpoint_for(${ledgerId}, 'bank', ${head}, 1)::text as c`.execute(database.db)).rows[0]!.c);
      // A tail of at most 1 posting: a checkpoint every 2 postings, 125 in all, 100 per call.
      expect(await latest()).toBeLessThan(head);
      expect(await checkpoints()).toBe(100);
      expect(await latest()).toBe(head);
      expect(await checkpoints()).toBe(125);
      expect((await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/bank/balance?recordedAsOfPosition=${head - 1}`)).body.ledgerBalance).toBe('249.00');
    } finally {
      await database.close();
    }
  });
});
