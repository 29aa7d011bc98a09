/**
 * A ledger's event feed as an hledger journal (plain-text accounting, checked with hledger 1.25).
 * A projection: one left fold over the events from position 1, then the journal is written.
 *
 * - **What is booked.** One journal transaction per `TransactionRecorded` with status `posted`
 *   (reversals and a correction's replacement included, with `reverses:` / `corrects:` tags and
 *   the reason), and one per `HoldPosted`, holding what was captured. A pending hold books
 *   nothing until it is posted; a voided or expired one books nothing at all.
 * - **Dates.** The journal date is the effective date in the ledger's timezone (`LedgerCreated`),
 *   so `hledger bal -e D+1` is the service's ledger balance at `effectiveAsOf=D`. Transactions
 *   are ordered by effective instant, then position. The header comment keeps the exact values
 *   as tags: `id`, `position`, `recordedAt`, `effectiveAt`. A capture's `id` is the hold's, and it
 *   is tagged `captures:` with the position of the hold (`holdPosition`).
 * - **Amounts.** The events' decimal strings, exactly (decimal.js, never a JS number): a debit
 *   positive, a credit negative, followed by the account's asset code as the commodity, in
 *   double quotes when the code holds anything but letters and `_` (hledger reads digits as
 *   part of the amount). Every asset gets a `commodity` directive with its scale as the
 *   precision, every account an `account` directive (its normal balance, currency and name as
 *   tags), so `hledger check -s` passes. hledger reports debits minus credits, so a
 *   credit-normal account's ledger balance is hledger's with the sign turned.
 * - **Names.** An account id becomes an hledger account name, and a transaction id a tag value,
 *   by percent-encoding (`%XX`, upper-case hex of the UTF-8 bytes) every character outside
 *   `A-Z a-z 0-9 . _ - :`, `%` itself, and a `:` that would start or end a name or follow another
 *   `:` (an empty component of hledger's account tree). Any id the service accepts stays as it
 *   is but for those colons; decoding `%XX` gives the id back, so distinct ids stay distinct.
 * - **Free text** (descriptions, reasons, names) is put on one line: control characters become
 *   spaces and `;`, which starts an hledger comment, becomes `,`. Tags keep what must be exact.
 * - **As known at a position.** With `recordedAsOfPosition` N only the events at positions up
 *   to N count: the books as the ledger knew them then (the service's `recordedAsOfPosition`).
 *
 * An event the feed could not have written (a gap in positions, an unknown account or asset, an
 * amount off the grammar or the asset's scale, a transaction that does not balance) throws an
 * Error whose message names its position.
 */
import { ASSET_CODE_PATTERN, isoCurrency, MAX_ASSET_SCALE } from '../domain/assets.ts';
import { assertNever, type Direction, type HoldResolutionData, type LedgerEvent, type Posting, type RecordedEvent, type TransactionData } from '../domain/events.ts';
import { Decimal, formatAmount, parseAmount, ZERO } from '../domain/money.ts';
import { dateOf, formatInstant, isValidTimeZone, parseTimestamp, type Instant } from '../domain/time.ts';

export interface HledgerOptions {
  /** Only the events at positions up to this one: the journal as the ledger knew it then. */
  readonly recordedAsOfPosition?: number;
}

interface BookedAccount {
  readonly accountId: string;
  readonly name: string;
  readonly normalBalance: Direction;
  readonly currency: string;
}

/** One journal transaction: posted postings with where they stand on both axes. */
interface JournalEntry {
  readonly id: string;
  readonly position: number;
  readonly recordedAt: Instant;
  readonly effectiveAt: Instant;
  readonly description: string;
  /** Tags beyond the four every entry has, and comment lines. */
  readonly notes: readonly string[];
  readonly postings: readonly Posting[];
}

/** What the journal needs to know after each event: the state of the fold, owned by one `hledgerJournal` call. */
interface Books {
  ledger: { readonly ledgerId: string; readonly name: string; readonly timezone: string } | null;
  head: { readonly position: number; readonly recordedAt: Instant } | null;
  readonly scales: Map<string, number>;
  readonly accounts: Map<string, BookedAccount>;
  /** Holds still pending, with the position that recorded them. */
  readonly holds: Map<string, { readonly description: string; readonly position: number }>;
  readonly entries: JournalEntry[];
}

/** The hledger journal of a ledger's feed (events from position 1, in order); see the file's header. */
export function hledgerJournal(events: readonly RecordedEvent[], options: HledgerOptions = {}): string {
  const cut = options.recordedAsOfPosition;
  const last = events.at(-1)?.position ?? 0;
  if (cut !== undefined && cut > last) throw new Error(`the feed ends at position ${last}, before position ${cut}`);
  const books: Books = { ledger: null, head: null, scales: new Map(), accounts: new Map(), holds: new Map(), entries: [] };
  for (const [index, e] of events.entries()) {
    if (cut !== undefined && e.position > cut) break;
    if (e.position !== index + 1) throw new Error(`position ${index + 1}: missing (the feed holds position ${e.position} there)`);
    try {
      book(books, e);
    } catch (error) {
      throw new Error(`position ${e.position} (${e.event.type}): ${(error as Error).message}`, { cause: error });
    }
  }
  return renderJournal(books, cut !== undefined);
}

/** One step of the fold. */
function book(books: Books, e: RecordedEvent): void {
  const event: LedgerEvent = e.event;
  if ((books.ledger === null) !== (event.type === 'LedgerCreated')) throw new Error('a ledger starts with LedgerCreated, and only once');
  books.head = { position: e.position, recordedAt: e.recordedAt };
  switch (event.type) {
    case 'LedgerCreated':
      if (!isValidTimeZone(String(event.data.timezone))) throw new Error(`unknown timezone ${JSON.stringify(event.data.timezone)}`);
      books.ledger = event.data;
      return;
    case 'AssetDeclared': {
      const { code, scale } = event.data;
      if (typeof code !== 'string' || !ASSET_CODE_PATTERN.test(code)) throw new Error(`asset code ${JSON.stringify(code)} is off the grammar`);
      if (!Number.isInteger(scale) || scale < 0 || scale > MAX_ASSET_SCALE) throw new Error(`asset ${code} has no scale from 0 to ${MAX_ASSET_SCALE}`);
      books.scales.set(code, scale);
      return;
    }
    case 'AccountOpened': {
      const { accountId, name, normalBalance, currency } = event.data;
      idOf(accountId, 'accountId');
      if (normalBalance !== 'debit' && normalBalance !== 'credit') throw new Error(`account ${accountId} has no normal balance`);
      scaleOf(books, currency);
      books.accounts.set(accountId, { accountId, name: String(name), normalBalance, currency });
      return;
    }
    case 'TransactionRecorded':
      return bookRecorded(books, event.data, e);
    case 'HoldPosted':
      return bookCapture(books, event.data, e);
    case 'HoldVoided':
      if (!books.holds.delete(event.data.holdId)) throw new Error(`${event.data.holdId} is not a pending hold`);
      return;
    case 'AccountClosed':
    case 'PeriodClosed':
      return;
    default:
      return assertNever(event);
  }
}

/** A posted transaction is an entry; a pending one waits for its post or void. */
function bookRecorded(books: Books, data: TransactionData, at: RecordedEvent): void {
  idOf(data.id, 'id');
  const effectiveAt = timestamp(data.effectiveAt, 'effectiveAt');
  const postings = checkedPostings(books, data.postings);
  if (data.status === 'pending') {
    books.holds.set(data.id, { description: data.description, position: at.position });
    return;
  }
  if (data.status !== 'posted') throw new Error(`transaction ${data.id} has status ${JSON.stringify(data.status)}`);
  const notes = [
    ...(data.reverses === null ? [] : [`reverses:${hledgerName(idOf(data.reverses, 'reverses'))}`]),
    ...(data.corrects === null ? [] : [`corrects:${hledgerName(idOf(data.corrects, 'corrects'))}`]),
    ...(data.reason === null ? [] : [`reason: ${oneLine(data.reason)}`]),
  ];
  books.entries.push({ id: data.id, position: at.position, recordedAt: at.recordedAt, effectiveAt, description: data.description, notes, postings });
}

/** A capture is an entry of the captured postings, under the hold's id, at the post's effective time. */
function bookCapture(books: Books, data: HoldResolutionData & { readonly postings: readonly Posting[] }, at: RecordedEvent): void {
  const hold = books.holds.get(data.holdId);
  if (!hold) throw new Error(`${data.holdId} is not a pending hold`);
  const notes = [
    `captures:${hledgerName(data.holdId)}, holdPosition:${hold.position}${data.id === null ? '' : `, resolutionId:${hledgerName(idOf(data.id, 'id'))}`}`,
    ...(data.reason === null ? [] : [`reason: ${oneLine(data.reason)}`]),
  ];
  const effectiveAt = timestamp(data.effectiveAt, 'effectiveAt');
  const postings = checkedPostings(books, data.postings);
  books.entries.push({ id: data.holdId, position: at.position, recordedAt: at.recordedAt, effectiveAt, description: hold.description, notes, postings });
  books.holds.delete(data.holdId);
}

function idOf(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`${field} ${JSON.stringify(value)} is not an id`);
  return value;
}

function timestamp(text: unknown, field: string): Instant {
  const instant = typeof text === 'string' ? parseTimestamp(text) : undefined;
  if (instant === undefined) throw new Error(`${field} ${JSON.stringify(text)} is not a timestamp`);
  return instant;
}

/** The scale of an asset the ledger knows: declared, or an ISO 4217 currency. */
function scaleOf(books: Books, code: string): number {
  const scale = books.scales.get(code) ?? isoCurrency(code)?.scale;
  if (scale === undefined) throw new Error(`unknown asset ${JSON.stringify(code)}`);
  return scale;
}

/** The postings as the journal writes them: on open accounts, in their currency, exact, balanced. */
function checkedPostings(books: Books, postings: readonly Posting[]): Posting[] {
  if (!Array.isArray(postings) || postings.length < 2) throw new Error('a transaction has at least two postings');
  const net = new Map<string, Decimal>();
  const checked = postings.map((p, index) => {
    const account = books.accounts.get(p.accountId);
    if (!account) throw new Error(`posting ${index}: unknown account ${JSON.stringify(p.accountId)}`);
    if (p.currency !== account.currency) throw new Error(`posting ${index}: ${p.accountId} is in ${account.currency}, not ${p.currency}`);
    const scale = scaleOf(books, account.currency);
    const amount = typeof p.amount === 'string' ? parseAmount(p.amount, scale) : 'FORMAT';
    if (typeof amount === 'string') throw new Error(`posting ${index}: ${JSON.stringify(p.amount)} is not an amount of ${account.currency} (scale ${scale})`);
    if (p.direction !== 'debit' && p.direction !== 'credit') throw new Error(`posting ${index}: no direction`);
    const signed = p.direction === 'debit' ? amount : amount.negated();
    net.set(account.currency, (net.get(account.currency) ?? ZERO).plus(signed));
    return { accountId: p.accountId, direction: p.direction, amount: formatAmount(amount, scale), currency: account.currency };
  });
  for (const [currency, sum] of net) if (!sum.isZero()) throw new Error(`the ${currency} postings do not balance (debits minus credits ${sum.toString()})`);
  return checked;
}

function renderJournal(books: Books, cut: boolean): string {
  const { ledger, head } = books;
  if (!ledger || !head) throw new Error('the feed holds no event (every ledger starts with LedgerCreated)');
  const entries = [...books.entries].sort((a, b) => (a.effectiveAt === b.effectiveAt ? a.position - b.position : a.effectiveAt < b.effectiveAt ? -1 : 1));
  const currencies = [...new Set([...books.scales.keys(), ...[...books.accounts.values()].map((a) => a.currency)])];
  return [
    `; Ledger ${oneLine(ledger.ledgerId)} (${oneLine(ledger.name)}) as an hledger journal, from its event feed.`,
    cut
      ? `; As known at position ${head.position} (recorded at ${formatInstant(head.recordedAt)}): later events are left out.`
      : `; Through position ${head.position}, the feed's last, recorded at ${formatInstant(head.recordedAt)}.`,
    `; Dates are effective dates in ${ledger.timezone}; tags keep the exact times, the position and the id.`,
    '; Account names are the account ids, %-encoded where hledger needs it (see src/app/hledger.ts).',
    '',
    'decimal-mark .',
    '',
    ...currencies.map((code) => `commodity ${precisionSample(scaleOf(books, code))} ${hledgerCommodity(code)}`),
    '',
    ...[...books.accounts.values()].map((a) => `account ${hledgerName(a.accountId)}  ; normalBalance:${a.normalBalance}, currency:${a.currency}, name:${oneLine(a.name)}`),
    '',
    ...entries.flatMap((entry) => [...renderEntry(entry, ledger.timezone), '']),
  ].join('\n');
}

function renderEntry(entry: JournalEntry, timeZone: string): string[] {
  const id = hledgerName(entry.id);
  const tags = `id:${id}, position:${entry.position}, recordedAt:${formatInstant(entry.recordedAt)}, effectiveAt:${formatInstant(entry.effectiveAt)}`;
  const names = entry.postings.map((p) => hledgerName(p.accountId));
  const width = Math.max(...names.map((n) => n.length));
  const amounts = entry.postings.map((p) => (p.direction === 'debit' ? p.amount : `-${p.amount}`));
  const amountWidth = Math.max(...amounts.map((a) => a.length));
  return [
    // The id as the code too: after a code, a description starting with `*`, `!` or `(` is read as text.
    `${dateOf(entry.effectiveAt, timeZone)} (${id}) ${oneLine(entry.description) || id}  ; ${tags}`,
    ...entry.notes.map((note) => `    ; ${note}`),
    ...entry.postings.map((p, i) => `    ${names[i]!.padEnd(width)}  ${amounts[i]!.padStart(amountWidth)} ${hledgerCommodity(p.currency)}`),
  ];
}

/** A sample amount whose decimals give hledger the asset's scale: `0.00`, or `0.` for none. */
function precisionSample(scale: number): string {
  return `0.${'0'.repeat(scale)}`;
}

/** An asset code (`ASSET_CODE_PATTERN`, or ISO 4217) as an hledger commodity symbol: bare when it is letters and `_`, else quoted. */
export function hledgerCommodity(code: string): string {
  return /^[A-Za-z_]+$/.test(code) ? code : `"${code}"`;
}

const SAFE_CHARACTER = /[A-Za-z0-9._:-]/;

/** An account id as an hledger account name, and a transaction id as a tag value: injective, see the file's header. */
export function hledgerName(id: string): string {
  let name = '';
  const characters = [...id];
  characters.forEach((c, i) => {
    const emptyComponent = c === ':' && (i === 0 || i === characters.length - 1 || characters[i - 1] === ':');
    name += SAFE_CHARACTER.test(c) && !emptyComponent ? c : percentEncoded(c);
  });
  return name;
}

function percentEncoded(character: string): string {
  return [...new TextEncoder().encode(character)].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/** Free text on one journal line: no control characters, no `;` (it would start a comment). */
function oneLine(text: string): string {
  return String(text).replace(/[\p{Cc}\u2028\u2029]/gu, ' ').replaceAll(';', ',').trim();
}
