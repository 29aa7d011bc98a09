import type { Asset } from '../../domain/assets.ts';
import { Decimal, formatAmount } from '../../domain/money.ts';
import { addDays, dateOf, endOfDay, formatInstant, MIN_YEAR, nextDate, parseTimestamp, type PlainDate } from '../../domain/time.ts';
import type { AsOf } from '../as-of.ts';
import { balanceFromSums } from '../balances.ts';
import type { AccountRow, JournalPostingRow, LedgerInfo, LedgerStore } from '../ports.ts';
import { beancountAccount, beancountCommodity, beancountLink, beancountString } from './beancount-names.ts';
import { accountsAt, GENERAL_LEDGER_PAGE } from './general-ledger.ts';

// A ledger at (R, E) as a Beancount 2 journal, beside the hledger one (src/app/hledger.ts), written
// as it is read: the postings a page at a time in log order, one entry per transaction (a
// capture is an entry under its hold's id), then balance assertions at each month's end and at E.
// Dates are effective dates in the ledger's timezone; each entry's metadata keeps the exact
// times, the position and the ids; each entry is linked (`^`) to its own id and to the entry it
// reverses or corrects, so Beancount (and Fava) show an original with its reversal. Names:
// ./beancount-names.ts. Amounts are the exact decimals (a debit positive, a credit negative):
// Beancount sums them with Python's decimal context, 28 significant digits by default (see
// docs/exports.md for larger amounts).

type Known = Map<string, { account: AccountRow; asset: Asset }>;

/** Opens and commodities are dated on the first day the ledger can hold, before any entry. */
const OPEN_DATE = `${MIN_YEAR}-01-01`;

function header(ledger: LedgerInfo, asOf: AsOf, known: Known): string[] {
  const assets = new Map([...known.values()].map(({ asset }) => [asset.code, asset]));
  return [
    `; Ledger ${ledger.ledgerId} (${ledger.name.replace(/[\p{Cc}]/gu, ' ')}) as a Beancount journal.`,
    `; As known at position ${asOf.position}${asOf.recordedAt === null ? '' : ` (recorded at ${formatInstant(asOf.recordedAt)})`}, effective as of ${formatInstant(asOf.effectiveAt)}.`,
    `; Dates are effective dates in ${ledger.timezone}; metadata keeps the exact times, the position and the ids (docs/exports.md).`,
    `option "title" ${beancountString(ledger.name)}`,
    '',
    ...[...assets.values()].sort((a, b) => (a.code < b.code ? -1 : 1))
      .flatMap((a) => [`${OPEN_DATE} commodity ${beancountCommodity(a.code)}`, `  assetCode: ${beancountString(a.code)}`, `  scale: ${a.scale}`]),
    '',
    ...[...known.values()].flatMap(({ account }) => [
      `${OPEN_DATE} open ${nameOf(account)} ${beancountCommodity(account.currency)}`,
      `  accountId: ${beancountString(account.accountId)}`,
      `  accountType: ${beancountString(account.type ?? 'unclassified')}`,
      `  normalBalance: ${beancountString(account.normalBalance)}`,
      `  name: ${beancountString(account.name)}`,
      `  openedAt: ${beancountString(formatInstant(account.recordedAt))}`,
    ]),
    '',
  ];
}

const nameOf = (account: AccountRow) => beancountAccount(account.accountId, account.type, account.normalBalance);

/** One transaction (the postings of one position) as an entry. */
function entry(rows: readonly JournalPostingRow[], known: Known, timeZone: string): string[] {
  const first = rows[0]!;
  const links = [first.transactionId, first.reverses, first.corrects].filter((id): id is string => id !== null).map((id) => `^${beancountLink(id)}`);
  const tags = [...(first.reverses === null ? [] : ['#reversal']), ...(first.corrects === null ? [] : ['#correction'])];
  return [
    `${dateOf(parseTimestamp(first.effectiveAt)!, timeZone)} * ${beancountString(first.description)}${[...tags, ...links].map((t) => ` ${t}`).join('')}`,
    `  transactionId: ${beancountString(first.transactionId)}`,
    `  position: ${first.position}`,
    `  recordedAt: ${beancountString(first.recordedAt)}`,
    `  effectiveAt: ${beancountString(first.effectiveAt)}`,
    ...(first.reverses === null ? [] : [`  reverses: ${beancountString(first.reverses)}`]),
    ...(first.corrects === null ? [] : [`  corrects: ${beancountString(first.corrects)}`]),
    ...rows.map((p) => {
      const { account, asset } = known.get(p.accountId)!;
      const amount = formatAmount(new Decimal(p.amount), asset.scale);
      return `  ${nameOf(account)}  ${p.direction === 'debit' ? amount : `-${amount}`} ${beancountCommodity(p.currency)}`;
    }),
    '',
  ];
}

/** The first day of each month after the one of `from`, up to `to` (excluded), then the day after `to`. */
export function assertionDates(from: PlainDate, to: PlainDate): PlainDate[] {
  const dates: PlainDate[] = [];
  for (let [year, month] = from.split('-').map(Number) as [number, number]; ;) {
    [year, month] = month === 12 ? [year + 1, 1] : [year, month + 1];
    const first = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-01`;
    if (first > to) break;
    dates.push(first);
  }
  const last = nextDate(to);
  return dates.at(-1) === last ? dates : [...dates, last];
}

/** Ids per balance query: the assertions read the accounts' sums in slices. */
const ACCOUNTS_PER_QUERY = 1000;

/** Each account's balance assertion at the start of `date`, from the service's sums at `effectiveAt`. */
async function* assertions(store: LedgerStore, ledgerId: string, position: number, known: Known, date: PlainDate, effectiveAt: bigint): AsyncGenerator<string> {
  const accounts = [...known.values()].map((k) => k.account);
  for (let i = 0; i < accounts.length; i += ACCOUNTS_PER_QUERY) {
    const slice = accounts.slice(i, i + ACCOUNTS_PER_QUERY);
    const sums = await store.balanceSums(ledgerId, slice.map((a) => a.accountId), position, effectiveAt);
    yield slice.map((account) => {
      const ledgerBalance = balanceFromSums(sums.get(account.accountId)!, account).ledgerBalance;
      const debitsMinusCredits = account.normalBalance === 'debit' ? ledgerBalance : ledgerBalance.negated();
      const amount = formatAmount(debitsMinusCredits.isZero() ? debitsMinusCredits.abs() : debitsMinusCredits, known.get(account.accountId)!.asset.scale);
      return `${date} balance ${nameOf(account)}  ${amount} ${beancountCommodity(account.currency)}\n`;
    }).join('');
  }
}

/**
 * The journal at `asOf`, in chunks as it is written: a page of postings at a time (the postings
 * of a transaction a page cuts in two wait for the next page), then the assertions.
 */
export async function* beancountChunks(
  store: LedgerStore, ledger: LedgerInfo, asOf: AsOf, options: { readonly pageSize?: number; readonly onRows?: (postings: number) => void } = {},
): AsyncGenerator<string> {
  const pageSize = options.pageSize ?? GENERAL_LEDGER_PAGE;
  const known = await accountsAt(store, ledger.ledgerId, asOf.position);
  yield `${header(ledger, asOf, known).join('\n')}\n`;
  let firstDate: PlainDate | undefined;
  let waiting: JournalPostingRow[] = [];
  for (let after: JournalPostingRow | undefined; ;) {
    const rows = await store.journalPostings(ledger.ledgerId, asOf.position, asOf.effectiveAt, after, pageSize);
    const complete = rows.length < pageSize;
    const lines: string[] = [];
    for (const row of rows) {
      if (waiting.length > 0 && waiting[0]!.position !== row.position) {
        lines.push(...entry(waiting, known, ledger.timezone));
        waiting = [];
      }
      waiting.push(row);
      const date = dateOf(parseTimestamp(row.effectiveAt)!, ledger.timezone);
      if (firstDate === undefined || date < firstDate) firstDate = date;
    }
    if (complete && waiting.length > 0) lines.push(...entry(waiting, known, ledger.timezone));
    if (lines.length > 0) yield `${lines.join('\n')}\n`;
    options.onRows?.(rows.length);
    if (complete) break;
    after = rows.at(-1);
  }
  if (firstDate === undefined) return;
  const dates = assertionDates(firstDate, dateOf(asOf.effectiveAt, ledger.timezone));
  for (const [i, date] of dates.entries()) {
    const at = i === dates.length - 1 ? asOf.effectiveAt : endOfDay(addDays(date, -1), ledger.timezone);
    yield* assertions(store, ledger.ledgerId, asOf.position, known, date, at);
  }
}
