import type { Instant } from '../domain/time.ts';
import type { AsOf } from './as-of.ts';
import { balancesAt, everyBalanceAt, type AccountBalance } from './balances.ts';
import type { LedgerStore, TransactionRow } from './ports.ts';
import { accountsTouched, movesLedgerBalances, restatedEntries, type RestatementWindow } from './restatements.ts';
import { balanceSheet, incomeStatement, trialBalance, type BalanceSheet, type IncomeStatement, type RestatedEntry, type TrialBalance } from './statements.ts';

// The statements of spec section 11 read from the store: every account's balance sums at the
// points they need (the same memoized sums as GET .../balances), arranged by ./statements.ts.

/** The balance sheet at (R, E). */
export async function balanceSheetAt(store: LedgerStore, ledgerId: string, asOf: AsOf): Promise<BalanceSheet> {
  return balanceSheet(await everyBalanceAt(store, ledgerId, asOf));
}

/** The trial balance at (R, E). */
export async function trialBalanceAt(store: LedgerStore, ledgerId: string, asOf: AsOf): Promise<TrialBalance> {
  return trialBalance(await everyBalanceAt(store, ledgerId, asOf));
}

/** The income and expense accounts' balances at (R, E). */
async function earningsBalancesAt(store: LedgerStore, ledgerId: string, asOf: AsOf): Promise<AccountBalance[]> {
  const [income, expense] = await Promise.all([
    everyBalanceAt(store, ledgerId, asOf, { type: 'income' }),
    everyBalanceAt(store, ledgerId, asOf, { type: 'expense' }),
  ]);
  return [...income, ...expense];
}

/**
 * The income statement of the period [effectiveFrom, asOf.effectiveAt] as known at asOf's
 * position: each account's balance at its end minus its balance just before its start (one
 * microsecond earlier, the finest time the ledger keeps).
 */
export async function incomeStatementAt(store: LedgerStore, ledgerId: string, asOf: AsOf, effectiveFrom: Instant): Promise<IncomeStatement> {
  const closing = await earningsBalancesAt(store, ledgerId, asOf);
  const opening = await balancesAt(store, ledgerId, closing.map((b) => b.account), { ...asOf, effectiveAt: effectiveFrom - 1n });
  return incomeStatement(opening, closing);
}

/**
 * The entries behind the differences between two knowledge times: those recorded between the
 * two positions (either may be the later), effective in the range, that moved ledger balances,
 * read as of the later position; at most `limit`, and whether that is all of them.
 */
export async function entriesBetween(
  store: LedgerStore, ledgerId: string, positions: readonly [number, number], effective: Pick<RestatementWindow, 'effectiveFrom' | 'effectiveTo'>, limit: number,
): Promise<{ rows: TransactionRow[]; entries: RestatedEntry[]; complete: boolean }> {
  const window = { ...effective, fromPosition: Math.min(...positions), toPosition: Math.max(...positions) };
  const read = await restatedEntries(store, ledgerId, window, limit + 1);
  const rows = read.slice(0, limit).filter((row) => movesLedgerBalances(row, window));
  return { rows, entries: rows.map((row) => ({ transactionId: row.data.id, accountIds: accountsTouched(row) })), complete: read.length <= limit };
}
