import { formatAmount } from '../../domain/money.ts';
import type { AsOf } from '../as-of.ts';
import { balancesAt, type AccountBalance } from '../balances.ts';
import type { LedgerStore } from '../ports.ts';
import { balanceSheet, BALANCE_SHEET_FIGURES, trialBalance, type StatementLine } from '../statements.ts';
import { accountsAt } from './general-ledger.ts';
import type { ExportColumn, ExportTable } from './table.ts';
import { tableOf } from './table.ts';

// The trial balance and the balance sheet (src/app/statements.ts) as export tables: a line per
// account, then the totals per currency on rows whose accountId is empty. Amounts are exact,
// at the asset's scale.

/** Ids per balance query. */
const ACCOUNTS_PER_QUERY = 1000;

/** Every account's balance at `asOf`, read in slices. */
export async function everyAccountBalance(store: LedgerStore, ledgerId: string, asOf: AsOf): Promise<AccountBalance[]> {
  const accounts = [...(await accountsAt(store, ledgerId, asOf.position)).values()].map((k) => k.account);
  const balances: AccountBalance[] = [];
  for (let i = 0; i < accounts.length; i += ACCOUNTS_PER_QUERY) balances.push(...(await balancesAt(store, ledgerId, accounts.slice(i, i + ACCOUNTS_PER_QUERY), asOf)));
  return balances;
}

const text = (name: string): ExportColumn => ({ name, kind: 'text' });
const amount = (name: string): ExportColumn => ({ name, kind: 'amount' });
const ACCOUNT_COLUMNS = [text('accountId'), text('name'), text('accountType'), text('normalBalance'), text('currency')];

const accountCells = ({ account }: StatementLine) => [account.accountId, account.name, account.type ?? 'unclassified', account.normalBalance, account.currency];

/** The trial balance at `asOf`: each account's net balance in the debit or the credit column. */
export async function trialBalanceTable(store: LedgerStore, ledgerId: string, asOf: AsOf): Promise<ExportTable> {
  const { lines, totals } = trialBalance(await everyAccountBalance(store, ledgerId, asOf));
  return tableOf([...ACCOUNT_COLUMNS, amount('debit'), amount('credit')], [
    ...lines.map((l) => [...accountCells(l), formatAmount(l.debit, l.asset.scale), formatAmount(l.credit, l.asset.scale)]),
    ...totals.map((t) => ['', 'Total', '', '', t.asset.code, formatAmount(t.values.debits, t.asset.scale), formatAmount(t.values.credits, t.asset.scale)]),
  ]);
}

/**
 * The balance sheet at `asOf`: a row per account in its section (asset, liability, equity,
 * currentEarnings, unclassified) with its ledger balance on its own normal side, then a row per
 * currency and figure (assets, liabilities, equity, currentEarnings, unclassified).
 */
export async function balanceSheetTable(store: LedgerStore, ledgerId: string, asOf: AsOf): Promise<ExportTable> {
  const { sections, totals } = balanceSheet(await everyAccountBalance(store, ledgerId, asOf));
  return tableOf([text('section'), ...ACCOUNT_COLUMNS, amount('amount')], [
    ...sections.flatMap((s) => s.lines.map((l) => [s.key, ...accountCells(l), formatAmount(l.amount, l.asset.scale)])),
    ...totals.flatMap((t) => BALANCE_SHEET_FIGURES.map((figure) => [figure, '', 'Total', '', '', t.asset.code, formatAmount(t.values[figure], t.asset.scale)])),
  ]);
}
