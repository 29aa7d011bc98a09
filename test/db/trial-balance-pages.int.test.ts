import { expect, it } from 'vitest';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { balancesAt, everyBalanceAt } from '../../src/app/balances.ts';
import { parseTimestamp } from '../../src/domain/time.ts';
import { describeOnEachDatabase } from '../support/http.ts';

// A chart of accounts is read a page of accounts at a time, two pages at once, from where each
// page starts (accountPageStarts): every page size must give each account once, in id order, with
// the balance a read of those accounts alone gives, also within a filter and at an earlier point.

const IDS = ['assets:bank', 'assets:cash', 'assets:till', 'equity', 'expenses:rent', 'income:sales', 'liabilities:card'];

describeOnEachDatabase('a chart of accounts read in pages', (api) => {
  it('answers every account once, in order, with its balance, whatever the page size', async () => {
    const ledgerId = await api.seedLedger({ accounts: IDS.map((id, i) => ({ id, normalBalance: i % 2 ? 'credit' : 'debit', currency: 'USD' })) });
    for (let i = 0; i < IDS.length; i++) {
      const body = { postings: [{ accountId: IDS[i], direction: 'debit', amount: `${i + 1}.25` }, { accountId: IDS[(i + 3) % IDS.length], direction: 'credit', amount: `${i + 1}.25` }] };
      const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body });
      expect(answer.status, answer.text).toBe(201);
    }
    const store = createLedgerStore(api.database.db);
    const head = await api.head(ledgerId);
    const effectiveAt = parseTimestamp(new Date().toISOString())!;
    for (const asOf of [{ position: head, recordedAt: null, effectiveAt }, { position: head - 3, recordedAt: null, effectiveAt }]) {
      for (const filter of [{}, { prefix: 'assets:' }]) {
        const accounts = await store.accounts(ledgerId, asOf.position, filter, undefined, 100);
        const expected = await balancesAt(store, ledgerId, accounts, asOf);
        expect(expected.length).toBeGreaterThan(2);
        for (const pageSize of [1, 2, 3, accounts.length, 100]) {
          const got = await everyBalanceAt(store, ledgerId, asOf, filter, pageSize);
          expect(got.map((b) => b.account.accountId), `page size ${pageSize}`).toEqual(accounts.map((a) => a.accountId));
          expect(got, `page size ${pageSize}`).toEqual(expected);
        }
      }
    }
  });
});

