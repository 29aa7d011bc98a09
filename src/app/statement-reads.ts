import type { Instant } from '../domain/time.ts';
import type { AsOf } from './as-of.ts';
import { ACCOUNTS_PER_QUERY, balancesAt, everyBalanceAt, type AccountBalance } from './balances.ts';
import type { LedgerStore, PostingTouch, TransactionRow } from './ports.ts';
import type { RestatementWindow } from './restatements.ts';
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

/** At most this many postings per query for the entries behind the differences. */
const POSTINGS_PER_QUERY = 10_000;

/**
 * The entries behind the differences between two knowledge times: the transactions recorded
 * between the two positions (either may be the later) with a posted posting on one of
 * `accountIds` effective in the range (a hold captured in between counts, under its id), in log
 * order, each with the accounts of `accountIds` it touches, read as of the later position; at
 * most `limit`, and whether that is all of them.
 */
export async function entriesBetween(
  store: LedgerStore, ledgerId: string, positions: readonly [number, number], effective: Pick<RestatementWindow, 'effectiveFrom' | 'effectiveTo'>,
  accountIds: Iterable<string>, limit: number,
): Promise<{ rows: TransactionRow[]; entries: RestatedEntry[]; complete: boolean }> {
  const [fromPosition, toPosition] = [Math.min(...positions), Math.max(...positions)];
  const ids = [...accountIds].sort();
  const touches: PostingTouch[] = [];
  let complete = true;
  for (let i = 0; i < ids.length; i += ACCOUNTS_PER_QUERY) {
    const some = await store.postingsBetween(ledgerId, ids.slice(i, i + ACCOUNTS_PER_QUERY), fromPosition, toPosition, effective, POSTINGS_PER_QUERY);
    if (some.length === POSTINGS_PER_QUERY) complete = false;
    touches.push(...some);
  }
  touches.sort((a, b) => a.position - b.position);
  const accountsOf = new Map<string, Set<string>>();
  for (const t of touches) accountsOf.set(t.transactionId, (accountsOf.get(t.transactionId) ?? new Set()).add(t.accountId));
  if (accountsOf.size > limit) complete = false;
  const entries = [...accountsOf].slice(0, limit).map(([transactionId, accounts]) => ({ transactionId, accountIds: [...accounts] }));
  if (entries.length === 0) return { rows: [], entries, complete };
  const read = await store.transactions(ledgerId, toPosition, { ids: entries.map((e) => e.transactionId) }, 0, entries.length);
  const byId = new Map(read.map((row) => [row.data.id, row]));
  return { rows: entries.map((e) => byId.get(e.transactionId)!), entries, complete };
}
