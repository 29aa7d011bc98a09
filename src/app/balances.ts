import { isoCurrency, type Asset } from '../domain/assets.ts';
import { balanceOf, type Balance, type BalanceParts } from '../domain/balance.ts';
import { assetOf } from '../domain/decide.ts';
import { Decimal, ZERO } from '../domain/money.ts';
import { isRejection, type Rejection } from '../domain/rejection.ts';
import { initialState } from '../domain/state.ts';
import { asOfAt, effectiveInstantOf, readAtOf, type AsOf, type AsOfInput } from './as-of.ts';
import type { AccountFilter, AccountRow, BalanceSums, LedgerStore } from './ports.ts';

export interface AccountBalance {
  readonly account: AccountRow;
  readonly asset: Asset;
  readonly balance: Balance;
}

/** The database's sums (text) as the domain's balance parts. */
export function partsFromSums(sums: BalanceSums): BalanceParts {
  // Most sums of a trial balance are zero (no holds, nothing scheduled): one shared ZERO, no parse.
  const d = (text: string) => (text === '0' ? ZERO : new Decimal(text));
  return {
    posted: { debits: d(sums.postedDebits), credits: d(sums.postedCredits) },
    pending: { debits: d(sums.pendingDebits), credits: d(sums.pendingCredits) },
    scheduled: { debits: d(sums.scheduledDebits), credits: d(sums.scheduledCredits) },
  };
}

/** Section 4's balance from the database's sums. */
export function balanceFromSums(sums: BalanceSums, account: Pick<AccountRow, 'normalBalance'>): Balance {
  return balanceOf(partsFromSums(sums), account.normalBalance);
}

/** The asset an account counts in: one of the ledger's custom assets or an ISO 4217 currency. */
export async function assetOfAccount(store: LedgerStore, ledgerId: string, account: Pick<AccountRow, 'currency'>): Promise<Asset> {
  return assetOf({ ...initialState, assets: await store.assets(ledgerId) }, account.currency)!;
}

/** The balances (spec section 4) of the given accounts at a resolved point. */
export async function balancesAt(store: LedgerStore, ledgerId: string, accounts: readonly AccountRow[], asOf: AsOf): Promise<AccountBalance[]> {
  const [sums, assets] = await Promise.all([
    store.balanceSums(ledgerId, accounts.map((a) => a.accountId), asOf.position, asOf.effectiveAt),
    store.assets(ledgerId),
  ]);
  const state = { ...initialState, assets };
  return accounts.map((account) => ({
    account,
    asset: assetOf(state, account.currency)!,
    balance: balanceFromSums(sums.get(account.accountId)!, account),
  }));
}

/** How many accounts one read of a whole chart of accounts asks the database for at once. */
export const ACCOUNTS_PER_QUERY = 2500;

/** How many of those pages are asked for at a time: the database sums two while the API turns the ones before into balances. */
export const PAGES_IN_FLIGHT = 2;

/**
 * The balances of every account (within `filter`) at a resolved point, in account id order: a
 * page of accounts with their sums per statement (sql/functions/ledger_trial_balance.sql: the
 * projector's checkpoints bound each account's read, not the ledger's postings). Where the pages
 * start is asked first, so that PAGES_IN_FLIGHT of them are read at once, each turned into
 * balances as it comes.
 */
export async function everyBalanceAt(
  store: LedgerStore, ledgerId: string, asOf: AsOf, filter: AccountFilter = {}, pageSize = ACCOUNTS_PER_QUERY,
): Promise<AccountBalance[]> {
  const [assets, starts] = await Promise.all([store.assets(ledgerId), store.accountPageStarts(ledgerId, asOf.position, filter, pageSize)]);
  const state = { ...initialState, assets };
  const pages = new Array<AccountBalance[]>(starts.length);
  let next = 0;
  const reader = async () => {
    for (let i = next++; i < starts.length; i = next++) {
      const page = await store.accountsWithSums(ledgerId, asOf.position, asOf.effectiveAt, filter, starts[i], pageSize);
      pages[i] = page.map(({ account, sums }) => ({ account, asset: assetOf(state, account.currency)!, balance: balanceFromSums(sums, account) }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PAGES_IN_FLIGHT, starts.length) }, reader));
  return pages.flat();
}

/** A balance read's answer: null when the ledger does not exist; `balance` null when the account does not exist at the point. */
export type AccountBalanceRead = null | Rejection | { readonly asOf: AsOf; readonly balance: AccountBalance | null };

/**
 * One account's balance at the coordinates asked, in one round trip: the read point, the
 * account, its asset and its sums come from one statement. The ledger's timezone (kept by the
 * store once read) is asked first only when it is needed: for a plain date, or to answer a
 * missing ledger before refused coordinates.
 */
export async function readAccountBalance(store: LedgerStore, ledgerId: string, accountId: string, input: AsOfInput): Promise<AccountBalanceRead> {
  const at = readAtOf(input);
  const e = input.effectiveAsOf;
  const timezone = isRejection(at) || (e !== undefined && typeof e !== 'bigint') ? await store.ledgerTimezone(ledgerId) : 'UTC';
  if (timezone === null) return null;
  if (isRejection(at)) return at;
  const read = await store.balanceRead(ledgerId, accountId, at, effectiveInstantOf(input, timezone));
  if (!read) return null;
  const asOf = asOfAt(at, read.point, read.found?.effectiveAt);
  if (isRejection(asOf) || !read.found) return isRejection(asOf) ? asOf : { asOf, balance: null };
  const { account, assetScale, sums } = read.found;
  const asset = assetScale === null ? isoCurrency(account.currency)! : { code: account.currency, scale: assetScale };
  return { asOf, balance: { account, asset, balance: balanceFromSums(sums, account) } };
}

/** The trial balance: per currency, posted debits and credits over all the accounts given. */
export function totalsByCurrency(balances: readonly AccountBalance[]) {
  const totals = new Map<string, { asset: Asset; debits: Decimal; credits: Decimal }>();
  for (const { asset, balance } of balances) {
    const total = totals.get(asset.code) ?? { asset, debits: ZERO, credits: ZERO };
    totals.set(asset.code, { asset, debits: total.debits.plus(balance.posted.debits), credits: total.credits.plus(balance.posted.credits) });
  }
  return [...totals.values()].sort((a, b) => (a.asset.code < b.asset.code ? -1 : 1));
}
