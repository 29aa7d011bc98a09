import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccountBalance } from '../../src/app/balances.ts';
import { totalsByCurrency } from '../../src/app/balances.ts';
import { rollUp } from '../../src/app/rollups.ts';
import { balanceOf } from '../../src/domain/balance.ts';
import { Decimal, ZERO } from '../../src/domain/money.ts';

// Spec section 11's roll-ups: every sub-tree's sums are exactly the sums of the accounts under it.

const ASSETS = { USD: { code: 'USD', scale: 2 }, JPY: { code: 'JPY', scale: 0 } } as const;
const segment = fc.constantFrom('a', 'b', 'ab', 'a-b');
const amount = fc.bigInt({ min: 0n, max: 10n ** 40n }).map((n) => new Decimal(n.toString()).dividedBy(100));
const sides = fc.record({ debits: amount, credits: amount });

const accountBalance = fc.record({
  path: fc.array(segment, { minLength: 1, maxLength: 4 }),
  currency: fc.constantFrom('USD', 'JPY' as const),
  normalBalance: fc.constantFrom('debit', 'credit' as const),
  posted: sides, pending: sides, scheduled: sides,
}).map(({ path, currency, normalBalance, ...parts }): AccountBalance => ({
  account: { accountId: path.join(':'), name: '', normalBalance, currency, noOverdraft: false, metadata: {}, closed: false, position: 1, recordedAt: 0n },
  asset: ASSETS[currency],
  balance: balanceOf(parts, normalBalance),
}));

/** Distinct account ids, as a ledger has them. */
const ledgerAccounts = fc.uniqueArray(accountBalance, { selector: (b) => b.account.accountId, maxLength: 30 });

const under = (path: string, id: string) => id === path || id.startsWith(`${path}:`);

describe('rollUp', () => {
  it('sums each sub-tree exactly: its sides are those of its accounts, its balance theirs on its side', () => {
    fc.assert(fc.property(ledgerAccounts, fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }), (balances, depth) => {
      const rollups = rollUp(balances, { depth });
      for (const r of rollups) {
        const members = balances.filter((b) => b.asset.code === r.asset.code && under(r.path, b.account.accountId));
        expect(r.accounts).toBe(members.length);
        expect(r.depth).toBe(r.path.split(':').length);
        if (depth !== undefined) expect(r.depth).toBeLessThanOrEqual(depth);
        for (const kind of ['posted', 'pending', 'scheduled'] as const) {
          expect(r.balance[kind].debits.equals(members.reduce((t, m) => t.plus(m.balance[kind].debits), ZERO))).toBe(true);
          expect(r.balance[kind].credits.equals(members.reduce((t, m) => t.plus(m.balance[kind].credits), ZERO))).toBe(true);
        }
        const signed = (m: AccountBalance, value: Decimal) => (m.account.normalBalance === r.normalBalance ? value : value.negated());
        expect(r.balance.ledgerBalance.equals(members.reduce((t, m) => t.plus(signed(m, m.balance.ledgerBalance)), ZERO))).toBe(true);
        if (!r.mixedNormalBalances) {
          expect(r.balance.availableBalance.equals(members.reduce((t, m) => t.plus(m.balance.availableBalance), ZERO))).toBe(true);
        }
      }
      // The top-level sub-trees cover every account once: their posted sides are the trial balance's totals.
      for (const total of totalsByCurrency(balances)) {
        const top = rollups.filter((r) => r.depth === 1 && r.asset.code === total.asset.code);
        expect(top.reduce((t, r) => t.plus(r.balance.posted.debits), ZERO).equals(total.debits)).toBe(true);
        expect(top.reduce((t, r) => t.plus(r.balance.posted.credits), ZERO).equals(total.credits)).toBe(true);
      }
    }));
  });

  it('lists a path before its sub-trees and keeps only those under a prefix', () => {
    const at = (accountId: string): AccountBalance => ({
      account: { accountId, name: '', normalBalance: 'debit', currency: 'USD', noOverdraft: false, metadata: {}, closed: false, position: 1, recordedAt: 0n },
      asset: ASSETS.USD,
      balance: balanceOf({ posted: { debits: new Decimal('1.01'), credits: ZERO }, pending: { debits: ZERO, credits: ZERO }, scheduled: { debits: ZERO, credits: ZERO } }, 'debit'),
    });
    const balances = ['a-b', 'a:b:c', 'a:b', 'a:c'].map(at);
    expect(rollUp(balances).map((r) => `${r.path}=${r.balance.ledgerBalance.toFixed(2)}`)).toEqual(['a=3.03', 'a:b=2.02', 'a:b:c=1.01', 'a:c=1.01', 'a-b=1.01']);
    expect(rollUp(balances, { prefix: 'a:b' }).map((r) => r.path)).toEqual(['a:b', 'a:b:c']);
  });
});
