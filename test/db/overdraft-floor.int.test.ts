import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { decideBatch, type BatchOutcome } from '../../src/app/decide-batch.ts';
import { needsOf, type WriteRequest } from '../../src/app/write-request.ts';
import { isRejection } from '../../src/domain/rejection.ts';
import { describeOnEachDatabase, type Json } from '../support/http.ts';

// The noOverdraft check of a funded wallet reads a floor instead of the wallet's postings
// (sql/functions/ledger_overdraft_windows.sql): what came in before the day of the earliest time
// the batch touches, less everything ever taken out, less every hold that may still be active.
// The store asks for the floor with the most the batch may take out; when the floor covers it the
// database answers the floor alone, else the postings. If a floor that was said to cover the
// batch does not (the batch's sums understated), the store loads the postings and decides again.

const DAY_MS = 86_400_000;

describeOnEachDatabase('the noOverdraft floor', (api) => {
  /** A wallet: 100.00 in three days ago, 30.00 out two days ago, a hold of 20.00 from yesterday, 50.00 in an hour from now. */
  async function fundedWallet() {
    const ledgerId = await api.seedLedger({ accounts: [
      { id: 'funding', normalBalance: 'debit', currency: 'USD' },
      { id: 'wallet', normalBalance: 'credit', currency: 'USD', noOverdraft: true },
      { id: 'shop', normalBalance: 'credit', currency: 'USD' },
    ] });
    const ago = (days: number) => new Date(Date.now() - days * DAY_MS).toISOString();
    const move = (id: string, from: string, to: string, amount: string, extra: Json) => ({
      id, ...extra, postings: [{ accountId: from, direction: 'debit', amount }, { accountId: to, direction: 'credit', amount }],
    });
    for (const tx of [
      move('in-1', 'funding', 'wallet', '100.00', { effectiveAt: ago(3) }),
      move('out-1', 'wallet', 'shop', '30.00', { effectiveAt: ago(2) }),
      move('hold-1', 'wallet', 'shop', '20.00', { effectiveAt: ago(1), status: 'pending' }),
      move('in-2', 'funding', 'wallet', '50.00', { effectiveAt: new Date(Date.now() + 3_600_000).toISOString() }),
    ]) {
      const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: tx });
      expect(answer.status, answer.text).toBe(201);
    }
    return ledgerId;
  }

  async function windows(ledgerId: string, bound: string | null) {
    const head = await api.head(ledgerId);
    const { rows } = await sql<{ windows: Json[] }>`
      select ledger_overdraft_windows(${ledgerId}, array['wallet', 'shop'], array[${bound}::numeric, 0], ${head}::bigint, clock_timestamp(), 1000) as windows`
      .execute(api.database.db);
    return rows[0]!.windows;
  }

  it('answers the floor when it covers the bound, and the postings when it does not or the bound is unknown', async () => {
    const ledgerId = await fundedWallet();
    // 100.00 came in before today; 30.00 went out; the hold of 20.00 may be active. The credit due in an hour is not counted.
    expect(await windows(ledgerId, '50.00')).toEqual([{ accountId: 'wallet', from: expect.any(String), floor: '50.00' }]);
    for (const bound of ['50.01', null]) {
      const [window, ...others] = await windows(ledgerId, bound);
      expect(others).toEqual([]);
      expect(window).toMatchObject({ accountId: 'wallet', sums: { postedCredits: '100.00', postedDebits: '30.00', pendingDebits: '20.00' } });
      expect(window!.facts.map((f: Json) => f.transactionId)).toEqual(['hold-1', 'in-2']);
    }
  });

  it('takes and refuses through HTTP exactly as the postings say, from the floor or not', async () => {
    const ledgerId = await fundedWallet();
    const spend = (id: string, amount: string, effectiveAt: string) => api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: {
      id, effectiveAt, postings: [{ accountId: 'wallet', direction: 'debit', amount }, { accountId: 'shop', direction: 'credit', amount }],
    } });
    const now = new Date().toISOString();
    const dayAgo = new Date(Date.now() - DAY_MS).toISOString();
    // Available now: 100 - 30 - 20 = 50.00; the 50.00 due in an hour counts only from then.
    expect((await spend('s-1', '40.00', dayAgo)).status).toBe(201); // from the floor: 50.00 covers it
    expect((await spend('s-2', '10.01', now)).body.code).toBe('INSUFFICIENT_FUNDS'); // the floor is 10.00: the postings refuse it
    expect((await spend('s-3', '10.00', now)).status).toBe(201); // the floor covers it exactly
    expect((await spend('s-4', '0.01', now)).body.code).toBe('INSUFFICIENT_FUNDS');
  });

  it('decides again from the postings when the batch takes out more than the sums it was loaded with', async () => {
    const ledgerId = await fundedWallet();
    const store = createLedgerStore(api.database.db);
    const request = (id: string, amount: string): WriteRequest => ({
      command: { type: 'RecordTransaction', transaction: {
        id, status: 'posted', description: '', metadata: {}, postings: [
          { accountId: 'wallet', direction: 'debit', amount }, { accountId: 'shop', direction: 'credit', amount }],
      } },
      claims: [{ scope: 'transaction', key: id }], request: { id, amount }, actor: 'test', requestId: id,
    });
    // The needs say 0.01 at most (the floor, 50.00, covers that); the batch takes 45.00, then 10.00.
    const requests = [request('big-1', '45.00'), request('big-2', '10.00')];
    const needs = needsOf(requests);
    const understated = { ...needs, postingSides: needs.postingSides.map((s) => ({ ...s, amount: '0.01' })) };
    const { result } = await store.write(ledgerId, understated, (input) => decideBatch(requests.map((r) => ({ requests: [r] })), input));
    const outcomes = result.flat() as BatchOutcome[];
    expect(outcomes.map((o) => (isRejection(o) ? o.code : o.kind))).toEqual(['recorded', 'INSUFFICIENT_FUNDS']);
    const balance = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/wallet/balance`);
    expect(balance.body.availableBalance, balance.text).toBe('5.00');
  });
});

describe('what the store is asked to cover', () => {
  const record = (id: string, postings: { accountId: string; direction: 'debit' | 'credit'; amount: string }[], status: 'posted' | 'pending' = 'posted'): WriteRequest => ({
    command: { type: 'RecordTransaction', transaction: { id, status, description: '', metadata: {}, postings } },
    claims: [], request: {}, actor: 'test', requestId: id,
  });

  it('sums each side of each account over the batch, holds included, exactly', () => {
    const needs = needsOf([
      record('a', [{ accountId: 'wallet', direction: 'debit', amount: '0.10' }, { accountId: 'shop', direction: 'credit', amount: '0.10' }]),
      record('b', [{ accountId: 'wallet', direction: 'debit', amount: '123456789012345678901234567890.000000000000000001' }, { accountId: 'shop', direction: 'credit', amount: '0.20' }], 'pending'),
      record('c', [{ accountId: 'shop', direction: 'debit', amount: '0.05' }, { accountId: 'wallet', direction: 'credit', amount: '0.05' }]),
    ]);
    expect(needs.mirrors).toBe(false);
    expect(needs.postingSides).toEqual(expect.arrayContaining([
      { accountId: 'wallet', direction: 'debit', amount: '123456789012345678901234567890.100000000000000001' },
      { accountId: 'shop', direction: 'credit', amount: '0.3' },
      { accountId: 'shop', direction: 'debit', amount: '0.05' },
      { accountId: 'wallet', direction: 'credit', amount: '0.05' },
    ]));
    expect(needs.postingSides).toHaveLength(4);
  });

  it('leaves a side unknown when one of its amounts is not an amount (the decision refuses it)', () => {
    const needs = needsOf([
      record('a', [{ accountId: 'wallet', direction: 'debit', amount: '1e3' }, { accountId: 'shop', direction: 'credit', amount: '1000' }]),
      record('b', [{ accountId: 'wallet', direction: 'debit', amount: '5.00' }, { accountId: 'shop', direction: 'credit', amount: '5.00' }]),
    ]);
    expect(needs.postingSides.find((s) => s.accountId === 'wallet')!.amount).toBeNull();
    expect(needs.postingSides.find((s) => s.accountId === 'shop')!.amount).toBe('1005');
  });
});
