import type { AccountType } from '../domain/account-type.ts';
import type { Asset } from '../domain/assets.ts';
import type { NormalBalance } from '../domain/events.ts';
import { type Decimal, ZERO } from '../domain/money.ts';
import type { AccountBalance } from './balances.ts';

// Spec section 11's financial statements, as pure functions over the accounts' balances at one
// or two points (R, E): the routes and the exports read the balances, these arrange them.

/** The account an amount of a statement belongs to: what a line shows of it. */
export type StatementAccount = Pick<AccountBalance['account'], 'accountId' | 'name' | 'normalBalance' | 'currency' | 'type'>;

/** One account's line: `amount` is signed on the account's own normal side (its ledger balance, or its change over a period). */
export interface StatementLine {
  readonly account: StatementAccount;
  readonly asset: Asset;
  readonly amount: Decimal;
}

/** The sections of the statements, in the order they are shown. */
export const BALANCE_SHEET_SECTIONS = ['asset', 'liability', 'equity', 'currentEarnings', 'unclassified'] as const;
export const INCOME_STATEMENT_SECTIONS = ['income', 'expense'] as const;
export type SectionKey = (typeof BALANCE_SHEET_SECTIONS)[number] | (typeof INCOME_STATEMENT_SECTIONS)[number];

/** The side each section's totals are signed on. */
export const SECTION_SIDE: Readonly<Record<SectionKey, NormalBalance>> = {
  asset: 'debit', liability: 'credit', equity: 'credit', currentEarnings: 'credit', unclassified: 'debit', income: 'credit', expense: 'debit',
};

/** A section's total in one currency, signed on the section's side. */
export interface CurrencyAmount {
  readonly asset: Asset;
  readonly amount: Decimal;
}

/**
 * A group of lines, in account id order, and its totals per currency (by code): each line counts
 * `+amount` when the account's normal side is the section's side, `-amount` otherwise (an expense
 * in current earnings, a credit-normal account among the unclassified).
 */
export interface StatementSection<Line extends StatementLine = StatementLine, Total extends CurrencyAmount = CurrencyAmount> {
  readonly key: SectionKey;
  readonly side: NormalBalance;
  readonly lines: readonly Line[];
  readonly totals: readonly Total[];
}

/** Named figures in one currency. */
export interface Totals<K extends string> {
  readonly asset: Asset;
  readonly values: Readonly<Record<K, Decimal>>;
}

export const BALANCE_SHEET_FIGURES = ['assets', 'liabilities', 'equity', 'currentEarnings', 'unclassified'] as const;
export type BalanceSheetFigure = (typeof BALANCE_SHEET_FIGURES)[number];

/**
 * The balance sheet at (R, E). For every currency,
 * `assets + unclassified = liabilities + equity + currentEarnings`, where `currentEarnings` is
 * income minus expenses as their accounts stand (what closing entries have not moved to equity)
 * and `unclassified` the untyped accounts' net debit balance (zero when every account has a type).
 */
export interface BalanceSheet {
  readonly sections: readonly StatementSection[];
  readonly totals: readonly Totals<BalanceSheetFigure>[];
}

export const INCOME_STATEMENT_FIGURES = ['income', 'expenses', 'netIncome'] as const;
export type IncomeStatementFigure = (typeof INCOME_STATEMENT_FIGURES)[number];

/** Income and expenses over a period, as known at R: each line is its account's change over the period. */
export interface IncomeStatement {
  readonly sections: readonly StatementSection[];
  readonly totals: readonly Totals<IncomeStatementFigure>[];
}

/** Which balance sheet section an account belongs to. */
export function balanceSheetSectionOf(type: AccountType | null | undefined): SectionKey {
  if (type === null || type === undefined) return 'unclassified';
  return type === 'income' || type === 'expense' ? 'currentEarnings' : type;
}

const byAccountId = (a: StatementLine, b: StatementLine) => (a.account.accountId < b.account.accountId ? -1 : a.account.accountId > b.account.accountId ? 1 : 0);
const byCode = (a: { asset: Asset }, b: { asset: Asset }) => (a.asset.code < b.asset.code ? -1 : a.asset.code > b.asset.code ? 1 : 0);

/** A line's amount as its section counts it. */
export function signedInSection(line: StatementLine, side: NormalBalance): Decimal {
  return line.account.normalBalance === side ? line.amount : line.amount.negated();
}

/** Sums per currency, in code order, of `amount`s. */
function sumByCurrency<T>(items: readonly T[], assetOf: (item: T) => Asset, amountOf: (item: T) => Decimal): CurrencyAmount[] {
  const sums = new Map<string, CurrencyAmount>();
  for (const item of items) {
    const asset = assetOf(item);
    sums.set(asset.code, { asset, amount: (sums.get(asset.code)?.amount ?? ZERO).plus(amountOf(item)) });
  }
  return [...sums.values()].sort(byCode);
}

/** A section of the given lines, sorted, with its totals. */
export function sectionOf(key: SectionKey, lines: readonly StatementLine[]): StatementSection {
  const side = SECTION_SIDE[key];
  return { key, side, lines: [...lines].sort(byAccountId), totals: sumByCurrency(lines, (l) => l.asset, (l) => signedInSection(l, side)) };
}

/** Every currency any section has a total in, in code order. */
function currenciesOf(sections: readonly StatementSection[]): Asset[] {
  const assets = new Map<string, Asset>();
  for (const s of sections) for (const t of s.totals) assets.set(t.asset.code, t.asset);
  return [...assets.values()].sort((a, b) => (a.code < b.code ? -1 : 1));
}

const totalOf = (section: StatementSection, code: string) => section.totals.find((t) => t.asset.code === code)?.amount ?? ZERO;

const lineOf = ({ account, asset, balance }: AccountBalance): StatementLine => ({ account, asset, amount: balance.ledgerBalance });

/** The balance sheet of the accounts' balances at one point (R, E). */
export function balanceSheet(balances: readonly AccountBalance[]): BalanceSheet {
  const lines = balances.map(lineOf);
  const sections = BALANCE_SHEET_SECTIONS.map((key) => sectionOf(key, lines.filter((l) => balanceSheetSectionOf(l.account.type) === key)));
  const [asset, liability, equity, currentEarnings, unclassified] = sections as [StatementSection, StatementSection, StatementSection, StatementSection, StatementSection];
  const totals = currenciesOf(sections).map((a) => ({
    asset: a,
    values: {
      assets: totalOf(asset, a.code), liabilities: totalOf(liability, a.code), equity: totalOf(equity, a.code),
      currentEarnings: totalOf(currentEarnings, a.code), unclassified: totalOf(unclassified, a.code),
    },
  }));
  return { sections, totals };
}

/**
 * The income statement of a period: `opening` are the accounts' balances at (R, just before the
 * period) and `closing` at (R, its end). Only income and expense accounts count; an account absent
 * from `opening` starts at zero.
 */
export function incomeStatement(opening: readonly AccountBalance[], closing: readonly AccountBalance[]): IncomeStatement {
  const before = new Map(opening.map((b) => [b.account.accountId, b.balance.ledgerBalance]));
  const lines = closing
    .filter((b) => b.account.type === 'income' || b.account.type === 'expense')
    .map((b) => ({ account: b.account, asset: b.asset, amount: b.balance.ledgerBalance.minus(before.get(b.account.accountId) ?? ZERO) }));
  const sections = INCOME_STATEMENT_SECTIONS.map((key) => sectionOf(key, lines.filter((l) => l.account.type === key)));
  const [income, expense] = sections as [StatementSection, StatementSection];
  const totals = currenciesOf(sections).map((a) => {
    const values = { income: totalOf(income, a.code), expenses: totalOf(expense, a.code) };
    return { asset: a, values: { ...values, netIncome: values.income.minus(values.expenses) } };
  });
  return { sections, totals };
}

/** A trial balance line: the account's balance in the debit or the credit column (the other zero). */
export interface TrialBalanceLine extends StatementLine {
  readonly debit: Decimal;
  readonly credit: Decimal;
}

/** The classic trial balance: every account's net balance on its side; per currency, the columns' sums are equal. */
export interface TrialBalance {
  readonly lines: readonly TrialBalanceLine[];
  readonly totals: readonly Totals<'debits' | 'credits'>[];
}

/** The two columns of a signed amount: on the debit side when the net is a debit. */
export function debitCreditColumns(line: StatementLine): { debit: Decimal; credit: Decimal } {
  const netDebit = signedInSection(line, 'debit');
  return netDebit.isNegative() ? { debit: ZERO, credit: netDebit.negated() } : { debit: netDebit, credit: ZERO };
}

/** The trial balance of the accounts' balances at one point (R, E). */
export function trialBalance(balances: readonly AccountBalance[]): TrialBalance {
  const lines = balances.map(lineOf).sort(byAccountId).map((l) => ({ ...l, ...debitCreditColumns(l) }));
  const debits = sumByCurrency(lines, (l) => l.asset, (l) => l.debit);
  const credits = sumByCurrency(lines, (l) => l.asset, (l) => l.credit);
  return { lines, totals: debits.map((d, i) => ({ asset: d.asset, values: { debits: d.amount, credits: credits[i]!.amount } })) };
}

/** A line at two knowledge times: `amount` at R, `compareAmount` at the compared R', `difference = amount - compareAmount`. */
export interface ComparedLine extends StatementLine {
  readonly compareAmount: Decimal;
  readonly difference: Decimal;
}

export interface ComparedAmount extends CurrencyAmount {
  readonly compareAmount: Decimal;
  readonly difference: Decimal;
}

export type ComparedSection = StatementSection<ComparedLine, ComparedAmount>;

export interface ComparedTotals<K extends string> extends Totals<K> {
  readonly compareValues: Readonly<Record<K, Decimal>>;
  readonly differences: Readonly<Record<K, Decimal>>;
}

/** A statement as known at R beside the same statement as known at R' (same effective coordinates). */
export interface ComparedStatement<K extends string> {
  readonly sections: readonly ComparedSection[];
  readonly totals: readonly ComparedTotals<K>[];
}

/** Pairs items by key, in key order: an item on one side only meets `undefined`. */
function pairBy<T>(current: readonly T[], compared: readonly T[], keyOf: (item: T) => string): [T | undefined, T | undefined][] {
  const a = new Map(current.map((x) => [keyOf(x), x]));
  const b = new Map(compared.map((x) => [keyOf(x), x]));
  return [...new Set([...a.keys(), ...b.keys()])].sort().map((k) => [a.get(k), b.get(k)]);
}

function compareSection(current: StatementSection, compared: StatementSection | undefined): ComparedSection {
  const lines = pairBy(current.lines, compared?.lines ?? [], (l) => l.account.accountId).map(([now, then]) => {
    const line = (now ?? then)!;
    const amount = now?.amount ?? ZERO;
    const compareAmount = then?.amount ?? ZERO;
    return { account: line.account, asset: line.asset, amount, compareAmount, difference: amount.minus(compareAmount) };
  });
  const totals = pairBy(current.totals, compared?.totals ?? [], (t) => t.asset.code).map(([now, then]) => {
    const amount = now?.amount ?? ZERO;
    const compareAmount = then?.amount ?? ZERO;
    return { asset: (now ?? then)!.asset, amount, compareAmount, difference: amount.minus(compareAmount) };
  });
  return { key: current.key, side: current.side, lines, totals };
}

/**
 * Two versions of one statement side by side, line by line (an account present at one time only
 * counts zero at the other) and figure by figure.
 */
export function compareStatements<K extends string>(
  current: { readonly sections: readonly StatementSection[]; readonly totals: readonly Totals<K>[] },
  compared: { readonly sections: readonly StatementSection[]; readonly totals: readonly Totals<K>[] },
): ComparedStatement<K> {
  const sections = current.sections.map((s) => compareSection(s, compared.sections.find((x) => x.key === s.key)));
  const totals = pairBy(current.totals, compared.totals, (t) => t.asset.code).map(([now, then]) => {
    const keys = Object.keys((now ?? then)!.values) as K[];
    const pick = (t: Totals<K> | undefined) => Object.fromEntries(keys.map((k) => [k, t?.values[k] ?? ZERO])) as Record<K, Decimal>;
    const values = pick(now);
    const compareValues = pick(then);
    const differences = Object.fromEntries(keys.map((k) => [k, values[k].minus(compareValues[k])])) as Record<K, Decimal>;
    return { asset: (now ?? then)!.asset, values, compareValues, differences };
  });
  return { sections, totals };
}

/** The accounts whose line changed between the two knowledge times. */
export function changedAccountIds(statement: ComparedStatement<string>): Set<string> {
  return new Set(statement.sections.flatMap((s) => s.lines.filter((l) => !l.difference.isZero()).map((l) => l.account.accountId)));
}

/** An entry recorded between the two knowledge times, by the accounts its postings touch. */
export interface RestatedEntry {
  readonly transactionId: string;
  readonly accountIds: readonly string[];
}

/**
 * The entries behind each changed line: for every account in `changed`, the ids of the entries
 * that touch it, in the order given (log order).
 */
export function entriesBehind(changed: ReadonlySet<string>, entries: readonly RestatedEntry[]): Map<string, string[]> {
  const behind = new Map<string, string[]>();
  for (const entry of entries) {
    for (const accountId of new Set(entry.accountIds)) {
      if (changed.has(accountId)) behind.set(accountId, [...(behind.get(accountId) ?? []), entry.transactionId]);
    }
  }
  return behind;
}
