import { formatAmount } from '../../domain/money.ts';
import type { Instant } from '../../domain/time.ts';
import type { AsOf } from '../as-of.ts';
import type { LedgerStore } from '../ports.ts';
import { balanceSheetAt, incomeStatementAt, trialBalanceAt } from '../statement-reads.ts';
import { BALANCE_SHEET_FIGURES, INCOME_STATEMENT_FIGURES, type StatementLine, type StatementSection, type Totals } from '../statements.ts';
import type { ExportColumn, ExportTable } from './table.ts';
import { tableOf } from './table.ts';

// The trial balance, the balance sheet and the income statement (src/app/statement-reads.ts, the
// same as GET .../balances and .../reports) as export tables: a line per account, then the
// totals per currency on rows whose accountId is empty. Amounts are exact, at the asset's scale.

const text = (name: string): ExportColumn => ({ name, kind: 'text' });
const amount = (name: string): ExportColumn => ({ name, kind: 'amount' });
const ACCOUNT_COLUMNS = [text('accountId'), text('name'), text('accountType'), text('normalBalance'), text('currency')];

const accountCells = ({ account }: StatementLine) => [account.accountId, account.name, account.type ?? 'unclassified', account.normalBalance, account.currency];

/** The trial balance at `asOf`: each account's net balance in the debit or the credit column. */
export async function trialBalanceTable(store: LedgerStore, ledgerId: string, asOf: AsOf): Promise<ExportTable> {
  const { lines, totals } = await trialBalanceAt(store, ledgerId, asOf);
  return tableOf([...ACCOUNT_COLUMNS, amount('debit'), amount('credit')], [
    ...lines.map((l) => [...accountCells(l), formatAmount(l.debit, l.asset.scale), formatAmount(l.credit, l.asset.scale)]),
    ...totals.map((t) => ['', 'Total', '', '', t.asset.code, formatAmount(t.values.debits, t.asset.scale), formatAmount(t.values.credits, t.asset.scale)]),
  ]);
}

/** A statement's rows: each section's lines (the amount on the account's own normal side), then each currency's figures. */
function statementRows<K extends string>(sections: readonly StatementSection[], totals: readonly Totals<K>[], figures: readonly K[]): string[][] {
  return [
    ...sections.flatMap((s) => s.lines.map((l) => [s.key, ...accountCells(l), formatAmount(l.amount, l.asset.scale)])),
    ...totals.flatMap((t) => figures.map((figure) => [figure, '', 'Total', '', '', t.asset.code, formatAmount(t.values[figure], t.asset.scale)])),
  ];
}

const STATEMENT_COLUMNS = [text('section'), ...ACCOUNT_COLUMNS, amount('amount')];

/**
 * The balance sheet at `asOf`: a row per account in its section (asset, liability, equity,
 * currentEarnings, unclassified), then a row per currency and figure (assets, liabilities,
 * equity, currentEarnings, unclassified).
 */
export async function balanceSheetTable(store: LedgerStore, ledgerId: string, asOf: AsOf): Promise<ExportTable> {
  const { sections, totals } = await balanceSheetAt(store, ledgerId, asOf);
  return tableOf(STATEMENT_COLUMNS, statementRows(sections, totals, BALANCE_SHEET_FIGURES));
}

/**
 * The income statement of [effectiveFrom, asOf.effectiveAt] as known at asOf's position: a row per
 * income or expense account (its change over the period), then income, expenses and netIncome per currency.
 */
export async function incomeStatementTable(store: LedgerStore, ledgerId: string, asOf: AsOf, effectiveFrom: Instant): Promise<ExportTable> {
  const { sections, totals } = await incomeStatementAt(store, ledgerId, asOf, effectiveFrom);
  return tableOf(STATEMENT_COLUMNS, statementRows(sections, totals, INCOME_STATEMENT_FIGURES));
}
