import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccountBalance } from '../../src/app/balances.ts';
import { balanceSheet, compareStatements, entriesBehind, incomeStatement, trialBalance, changedAccountIds } from '../../src/app/statements.ts';
import { ACCOUNT_TYPES, NORMAL_BALANCE_OF } from '../../src/domain/account-type.ts';
import { balanceOf } from '../../src/domain/balance.ts';
import { Decimal, ZERO } from '../../src/domain/money.ts';

// The functional core of spec section 11 over random charts whose postings balance per currency
// (as every ledger's do): the statements' identities hold exactly, whatever the amounts' size.

const ASSETS = { USD: { code: 'USD', scale: 2 }, BIG: { code: 'BIG', scale: 18 } } as const;
const amount = fc.bigInt({ min: 0n, max: 10n ** 48n }).map((n) => new Decimal(n.toString()).dividedBy(new Decimal(10).pow(18)));

const account = fc.record({
  type: fc.constantFrom(...ACCOUNT_TYPES, undefined),
  untypedSide: fc.constantFrom('debit' as const, 'credit' as const),
  currency: fc.constantFrom('USD' as const, 'BIG' as const),
});

/** A chart of accounts and transfers between accounts of one currency: posted sides that balance. */
const ledger = fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), account), { selector: ([id]) => id, minLength: 2, maxLength: 12 })
  .chain((accounts) => fc.tuple(fc.constant(accounts), fc.array(fc.tuple(fc.nat(), fc.nat(), amount), { maxLength: 20 })))
  .map(([accounts, transfers]): AccountBalance[] => {
    const sides = accounts.map(() => ({ debits: ZERO, credits: ZERO }));
    for (const [from, to, value] of transfers) {
      const debit = from % accounts.length;
      const candidates = accounts.map((_, i) => i).filter((i) => i !== debit && accounts[i]![1].currency === accounts[debit]![1].currency);
      if (candidates.length === 0) continue;
      const credit = candidates[to % candidates.length]!;
      sides[debit] = { ...sides[debit]!, debits: sides[debit]!.debits.plus(value) };
      sides[credit] = { ...sides[credit]!, credits: sides[credit]!.credits.plus(value) };
    }
    return accounts.map(([accountId, a], i) => {
      const normalBalance = a.type === undefined ? a.untypedSide : NORMAL_BALANCE_OF[a.type];
      const none = { debits: ZERO, credits: ZERO };
      return {
        account: { accountId, name: accountId, normalBalance, currency: a.currency, noOverdraft: false, metadata: {}, type: a.type ?? null, closed: false, position: 1, recordedAt: 0n },
        asset: ASSETS[a.currency], balance: balanceOf({ posted: sides[i]!, pending: none, scheduled: none }, normalBalance),
      };
    });
  });

describe('statements', () => {
  it('balance sheets balance per currency, and the trial balance columns are equal', () => {
    fc.assert(fc.property(ledger, (balances) => {
      const sheet = balanceSheet(balances);
      expect(sheet.sections.map((s) => s.key)).toEqual(['asset', 'liability', 'equity', 'currentEarnings', 'unclassified']);
      expect(sheet.sections.flatMap((s) => s.lines)).toHaveLength(balances.length);
      for (const { values: v } of sheet.totals) expect(v.assets.plus(v.unclassified).equals(v.liabilities.plus(v.equity).plus(v.currentEarnings))).toBe(true);
      const trial = trialBalance(balances);
      for (const { values } of trial.totals) expect(values.debits.equals(values.credits)).toBe(true);
      for (const line of trial.lines) expect(line.debit.isZero() || line.credit.isZero()).toBe(true);
    }));
  });

  it('the income statement from zero is current earnings, and a statement beside itself differs nowhere', () => {
    fc.assert(fc.property(ledger, (balances) => {
      const earnings = new Map(balanceSheet(balances).totals.map((t) => [t.asset.code, t.values.currentEarnings]));
      for (const t of incomeStatement([], balances).totals) expect(t.values.netIncome.equals(earnings.get(t.asset.code)!)).toBe(true);
      const same = compareStatements(balanceSheet(balances), balanceSheet(balances));
      expect(changedAccountIds(same).size).toBe(0);
      for (const t of same.totals) for (const d of Object.values(t.differences)) expect(d.isZero()).toBe(true);
    }));
  });

  it('side by side against an empty past, every difference is the whole amount, and entries go to the lines they touch', () => {
    fc.assert(fc.property(ledger, (balances) => {
      const compared = compareStatements(balanceSheet(balances), balanceSheet([]));
      for (const line of compared.sections.flatMap((s) => s.lines)) {
        expect(line.compareAmount.isZero() && line.difference.equals(line.amount)).toBe(true);
      }
      const changed = changedAccountIds(compared);
      const ids = balances.map((b) => b.account.accountId);
      const behind = entriesBehind(changed, [{ transactionId: 't1', accountIds: ids }, { transactionId: 't2', accountIds: [ids[0]!, ids[0]!] }]);
      expect([...behind.keys()].sort()).toEqual([...changed].sort());
      if (changed.has(ids[0]!)) expect(behind.get(ids[0]!)).toEqual(['t1', 't2']);
    }));
  });
});
