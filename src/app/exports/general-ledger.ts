import type { Asset } from '../../domain/assets.ts';
import { assetOf } from '../../domain/decide.ts';
import { Decimal, formatAmount, ZERO } from '../../domain/money.ts';
import { initialState } from '../../domain/state.ts';
import type { AsOf } from '../as-of.ts';
import type { AccountRow, GeneralLedgerCarry, GeneralLedgerRow, LedgerStore } from '../ports.ts';
import { csvRecord } from './csv.ts';
import type { ExportColumn, ExportTable } from './table.ts';

// The general ledger of spec section 11: every posted posting at (R, E), account by account in
// effective order, with the account's running ledger balance. Read a page at a time by key, so
// an export holds one page and the accounts, never the ledger.

/** Postings read per query: large enough that a query's round trip is small beside its rows. */
export const GENERAL_LEDGER_PAGE = 5000;

/** A posting of the general ledger with its account and the account's ledger balance after it. */
export interface GeneralLedgerLine {
  readonly row: GeneralLedgerRow;
  readonly account: AccountRow;
  readonly asset: Asset;
  /** Signed on the account's normal side, like the statement's (`.../entries`). */
  readonly runningBalance: Decimal;
}

/** Every account open at the position, by id, with its asset: what the lines show of each. */
export async function accountsAt(store: LedgerStore, ledgerId: string, position: number): Promise<Map<string, { account: AccountRow; asset: Asset }>> {
  const byId = new Map<string, { account: AccountRow; asset: Asset }>();
  const state = { ...initialState, assets: await store.assets(ledgerId) };
  for (let after: string | undefined; ;) {
    const accounts = await store.accounts(ledgerId, position, {}, after, GENERAL_LEDGER_PAGE);
    for (const account of accounts) byId.set(account.accountId, { account, asset: assetOf(state, account.currency)! });
    if (accounts.length < GENERAL_LEDGER_PAGE) return byId;
    after = accounts.at(-1)!.accountId;
  }
}

/**
 * The general ledger at `asOf`, a page of lines at a time. The running balance restarts at zero
 * with each account: the rows come account by account, so one balance is carried across pages.
 */
export async function* generalLedgerPages(store: LedgerStore, ledgerId: string, asOf: AsOf, pageSize = GENERAL_LEDGER_PAGE): AsyncGenerator<GeneralLedgerLine[]> {
  const accounts = await accountsAt(store, ledgerId, asOf.position);
  let running = ZERO;
  let last: GeneralLedgerRow | undefined;
  let reading = store.generalLedger(ledgerId, asOf.position, asOf.effectiveAt, undefined, pageSize);
  for (;;) {
    const rows = await reading;
    // The next page is read while this one is written.
    if (rows.length === pageSize) reading = store.generalLedger(ledgerId, asOf.position, asOf.effectiveAt, rows.at(-1), pageSize);
    const lines = rows.map((row) => {
      const known = accounts.get(row.accountId);
      if (!known) throw new Error(`posting ${row.position}/${row.seq} is on ${row.accountId}, not an account at position ${asOf.position}`);
      if (row.accountId !== last?.accountId) running = ZERO;
      const amount = new Decimal(row.amount);
      running = row.direction === known.account.normalBalance ? running.plus(amount) : running.minus(amount);
      last = row;
      return { row, account: known.account, asset: known.asset, runningBalance: running };
    });
    if (lines.length > 0) yield lines;
    if (rows.length < pageSize) return;
  }
}

/** The general ledger's columns, as the CSV and XLSX exports name them. */
export const GENERAL_LEDGER_COLUMNS: readonly ExportColumn[] = [
  { name: 'accountId', kind: 'text' }, { name: 'accountType', kind: 'text' }, { name: 'normalBalance', kind: 'text' }, { name: 'currency', kind: 'text' },
  { name: 'effectiveAt', kind: 'text' }, { name: 'recordedAt', kind: 'text' }, { name: 'position', kind: 'integer' }, { name: 'seq', kind: 'integer' },
  { name: 'transactionId', kind: 'text' }, { name: 'direction', kind: 'text' }, { name: 'amount', kind: 'amount' }, { name: 'runningBalance', kind: 'amount' },
];

/** An amount's text at the asset's scale: as the database gave it when it has the scale's decimals (the usual case), else through decimal.js. */
function atScale(text: string, scale: number): string {
  const point = text.indexOf('.');
  const decimals = point < 0 ? 0 : text.length - point - 1;
  return decimals === scale ? text : formatAmount(new Decimal(text), scale);
}

/** A line as the table's cells: exact amounts at the asset's scale, times as the API writes them. */
function cellsOf({ row, account, asset, runningBalance }: GeneralLedgerLine): string[] {
  return [
    row.accountId, account.type ?? 'unclassified', account.normalBalance, row.currency,
    row.effectiveAt, row.recordedAt, String(row.position), String(row.seq),
    row.transactionId, row.direction, atScale(row.amount, asset.scale), formatAmount(runningBalance, asset.scale),
  ];
}

/** The general ledger at `asOf` as a table, read a page at a time. */
export async function generalLedgerTable(store: LedgerStore, ledgerId: string, asOf: AsOf, pageSize = GENERAL_LEDGER_PAGE): Promise<ExportTable> {
  const size = await store.generalLedgerSize(ledgerId, asOf.position, asOf.effectiveAt);
  const pages = (async function* () {
    for await (const lines of generalLedgerPages(store, ledgerId, asOf, pageSize)) yield lines.map(cellsOf);
  })();
  return { columns: GENERAL_LEDGER_COLUMNS, pages, size };
}

/**
 * The general ledger at `asOf` as CSV, the header first, then the records, made by the database
 * (the same cells as `generalLedgerTable`'s, without a row object per posting): in one stream
 * where the store has one free (`LedgerStore.generalLedgerCsvStream`), else a page at a time
 * (`LedgerStore.generalLedgerCsv`), the next page read while one is written.
 */
export async function* generalLedgerCsv(
  store: LedgerStore, ledgerId: string, asOf: AsOf, onRows?: (rows: number) => void, pageSize = GENERAL_LEDGER_PAGE,
): AsyncGenerator<string | Uint8Array> {
  const accounts = await accountsAt(store, ledgerId, asOf.position);
  const scales = new Map([...accounts.values()].map(({ asset }) => [asset.code, asset.scale]));
  yield csvRecord(GENERAL_LEDGER_COLUMNS.map((c) => c.name));
  const stream = store.generalLedgerCsvStream?.(ledgerId, asOf.position, asOf.effectiveAt, scales);
  if (stream) {
    for await (const { bytes, rows } of stream) {
      onRows?.(rows);
      yield bytes;
    }
    return;
  }
  const read = (from: GeneralLedgerCarry | undefined) => store.generalLedgerCsv(ledgerId, asOf.position, asOf.effectiveAt, from, scales, pageSize);
  let reading = read(undefined);
  for (;;) {
    const page = await reading;
    if (page.rows === pageSize) reading = read(page.last!);
    onRows?.(page.rows);
    if (page.rows > 0) yield page.text;
    if (page.rows < pageSize) return;
  }
}
