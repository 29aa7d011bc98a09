import { expect, it } from 'vitest';
import type { Database } from '../../src/adapters/db/database.ts';
import { formatInstant } from '../../src/domain/time.ts';
import { openDatabase } from '../../src/entry/open-database.ts';
import { describeOnEachDatabase, expectProblem, testApi, transfer, type Answer, type TestApi } from '../support/http.ts';

// Spec section 4, noOverdraft: a write is refused with INSUFFICIENT_FUNDS if, with it, the
// account's available balance as of the new head would be negative at any effective time from
// the earliest time its postings are known from, under any concurrency.

const DAY_MS = 86_400_000;
const at = (offsetMs: number) => formatInstant(BigInt(Date.now() + offsetMs) * 1000n);
const ACCOUNTS = [
  { id: 'bank', normalBalance: 'debit', currency: 'USD' },
  { id: 'alice', normalBalance: 'credit', currency: 'USD', noOverdraft: true },
  { id: 'merchant', normalBalance: 'credit', currency: 'USD' },
];

describeOnEachDatabase('noOverdraft', (api) => {
  const balance = async (ledgerId: string, query = '') => (await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?${query}`)).body;

  it('refuses a backdated debit that would overdraw last week, and takes the same debit dated today', async () => {
    const ledgerId = await api.seedLedger({ accounts: ACCOUNTS });
    const funded = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer('fund', at(-DAY_MS), 'bank', 'alice', '100.00') });
    expect(funded.status, funded.text).toBe(201);
    const head = await api.head(ledgerId);
    const backdated = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer('spend', at(-7 * DAY_MS), 'alice', 'merchant', '50.00') });
    expectProblem(backdated, 422, 'INSUFFICIENT_FUNDS');
    expect(backdated.body.detail).toContain('-50.00');
    expect(await api.head(ledgerId)).toBe(head);
    const today = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer('spend', at(0), 'alice', 'merchant', '50.00') });
    expect(today.status, today.text).toBe(201);
    expect((await balance(ledgerId)).availableBalance).toBe('50.00');
  });

  it('counts holds and known future-dated debits, and refuses what would overdraw later', async () => {
    const ledgerId = await api.seedLedger({ accounts: ACCOUNTS });
    await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer('fund', at(-DAY_MS), 'bank', 'alice', '100.00') });
    const hold = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: { ...transfer('hold', at(0), 'alice', 'merchant', '60.00'), status: 'pending' } });
    expect(hold.status, hold.text).toBe(201);
    expectProblem(await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer('big', at(0), 'alice', 'merchant', '50.00') }), 422, 'INSUFFICIENT_FUNDS');
    // A future-dated debit counts from when it is known: 40 left now, so 40 in ten days fits ...
    expect((await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer('rent', at(10 * DAY_MS), 'alice', 'merchant', '40.00') })).status).toBe(201);
    // ... and then not a cent more today.
    expectProblem(await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer('tip', at(0), 'alice', 'merchant', '0.01') }), 422, 'INSUFFICIENT_FUNDS');
    // Voiding the hold frees its 60; a deposit is never refused.
    expect((await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/hold/void`, { body: {} })).status).toBe(201);
    expect((await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer('tip', at(0), 'alice', 'merchant', '0.01') })).status).toBe(201);
    expect((await balance(ledgerId)).availableBalance).toBe('59.99');
  });

  it('takes exactly 25 of 100 concurrent debits of 10 against 250, over two API processes, and never goes negative', async () => {
    const ledgerId = await api.seedLedger({ accounts: ACCOUNTS });
    await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer('fund', at(-DAY_MS), 'bank', 'alice', '250.00') });
    // A second API process: its own connection pool and group committer on the same database.
    let other: { api: TestApi; database: Database } | undefined;
    if (api.database.kind === 'postgres') {
      const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL });
      other = { api: await testApi(database), database };
    }
    try {
      const answers: Answer[] = await Promise.all(Array.from({ length: 100 }, (_, i) =>
        (i % 2 && other ? other.api : api).call('POST', `/v1/ledgers/${ledgerId}/transactions`, {
          body: transfer(`debit-${i}`, at(0), 'alice', 'merchant', '10.00'),
          key: i % 2 && other ? other.api.adminKey : undefined,
        })));
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(25);
      expect(statuses.filter((s) => s === 422)).toHaveLength(75);
      for (const refused of answers.filter((a) => a.status === 422)) expect(refused.body.code).toBe('INSUFFICIENT_FUNDS');
    } finally {
      await other?.database.close();
    }
    const now = await balance(ledgerId);
    expect([now.ledgerBalance, now.availableBalance]).toEqual(['0.00', '0.00']);
    // Never negative at any effective time, as known at any position.
    const head = await api.head(ledgerId);
    for (let position = 1 + ACCOUNTS.length; position <= head; position += 7) {
      for (const effectiveAsOf of [at(-2 * DAY_MS), at(-DAY_MS), at(60_000), at(30 * DAY_MS)]) {
        const b = await balance(ledgerId, `recordedAsOfPosition=${position}&effectiveAsOf=${encodeURIComponent(effectiveAsOf)}`);
        expect(b.availableBalance.startsWith('-'), `${position} ${effectiveAsOf}: ${b.availableBalance}`).toBe(false);
      }
    }
  });
});
