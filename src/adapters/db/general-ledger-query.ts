import { CompiledQuery, sql, type RawBuilder } from 'kysely';
import type { GeneralLedgerCarry, GeneralLedgerCsvChunk, GeneralLedgerCsvPage, GeneralLedgerKey, GeneralLedgerRow, JournalPostingRow } from '../../app/ports.ts';
import { formatInstant, type Instant } from '../../domain/time.ts';
import type { Db } from './database.ts';
import { COPY_TO_STDOUT } from './postgres-js-dialect.ts';

/**
 * The exports' reads: the posted postings at (position, effectiveAsOf), a page at a time by key
 * (never an offset), so an export of any size reads a bounded page per query. The general ledger
 * walks postings_by_account (sql/001); a journal walks the postings' primary key.
 */

interface PostingRowText {
  account_id: string; effective_at: string; position: string; seq: number; transaction_id: string;
  recorded_at: string; direction: 'debit' | 'credit'; amount: string; currency: string;
}

/** A value as a parameter, or written into the statement (`sql.lit`: COPY takes no parameters). */
type Value = (value: string | number) => RawBuilder<unknown>;
const parameter: Value = (value) => sql`${value}`;

const POSTED_AT = (ledgerId: string, position: number, effectiveAsOf: Instant, value: Value = parameter) =>
  sql`p.ledger_id = ${value(ledgerId)} and p.status = 'posted' and p.position <= ${value(position)} and p.effective_at <= ${value(formatInstant(effectiveAsOf))}::timestamptz`;

/** A timestamp as the API writes it (formatInstant's text): formatted by the database, row by row the cheapest way. */
const apiTime = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const COLUMNS = sql.raw(`p.account_id, ${apiTime('p.effective_at')} as effective_at, p.position, p.seq, p.transaction_id,
  ${apiTime('p.recorded_at')} as recorded_at, p.direction, p.amount::text as amount, p.currency`);

function toRow(r: PostingRowText): GeneralLedgerRow {
  return {
    accountId: r.account_id, effectiveAt: r.effective_at, position: Number(r.position), seq: r.seq,
    transactionId: r.transaction_id, recordedAt: r.recorded_at, direction: r.direction, amount: r.amount, currency: r.currency,
  };
}

/** One page of the general ledger: by account, effective time, position and seq, after `after`. */
export async function generalLedgerPage(
  db: Db, ledgerId: string, position: number, effectiveAsOf: Instant, after: GeneralLedgerKey | undefined, limit: number,
): Promise<GeneralLedgerRow[]> {
  const from = after === undefined
    ? sql`true`
    : sql`(p.account_id, p.effective_at, p.position, p.seq) > (${after.accountId}, ${after.effectiveAt}::timestamptz, ${after.position}, ${after.seq})`;
  const { rows } = await sql<PostingRowText>`
    select ${COLUMNS} from postings p
    where ${POSTED_AT(ledgerId, position, effectiveAsOf)} and ${from}
    order by p.account_id, p.effective_at, p.position, p.seq
    limit ${limit}`.execute(db);
  return rows.map(toRow);
}

/** How many postings the general ledger at (position, effectiveAsOf) lists. */
export async function generalLedgerSize(db: Db, ledgerId: string, position: number, effectiveAsOf: Instant): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from postings p where ${POSTED_AT(ledgerId, position, effectiveAsOf)}`.execute(db);
  return Number(rows[0]!.n);
}

/**
 * One page of a journal: the same postings in log order, after (position, seq), each with its
 * transaction's description and links (a capture's postings carry the hold's).
 */
export async function journalPostingsPage(
  db: Db, ledgerId: string, position: number, effectiveAsOf: Instant, after: { readonly position: number; readonly seq: number } | undefined, limit: number,
): Promise<JournalPostingRow[]> {
  const { rows } = await sql<PostingRowText & { description: string | null; reverses: string | null; corrects: string | null }>`
    select ${COLUMNS}, t.data ->> 'description' as description, t.reverses, t.corrects
    from postings p
    join transactions t on t.ledger_id = p.ledger_id and t.transaction_id = p.transaction_id
    where ${POSTED_AT(ledgerId, position, effectiveAsOf)}
      and (p.position, p.seq) > (${after?.position ?? 0}, ${after?.seq ?? -1})
    order by p.position, p.seq
    limit ${limit}`.execute(db);
  return rows.map((r) => ({ ...toRow(r), description: r.description ?? '', reverses: r.reverses, corrects: r.corrects }));
}

/** Each currency's scale, as a relation (`currency`, `scale`). */
const scalesOf = (scales: ReadonlyMap<string, number>, value: Value) =>
  sql`select key as currency, value::integer as scale from jsonb_each_text(${value(JSON.stringify(Object.fromEntries(scales)))}::text::jsonb)`;

/**
 * A line's account, by one probe: planned as a join while the accounts looked few (a new
 * database), a page was scanned once per account of the ledger (100 accounts: 500,000 rows).
 */
const accountOf = (ledgerId: string, line: string, value: Value) =>
  sql`cross join lateral (select x.type, x.normal_balance from accounts x where x.ledger_id = ${value(ledgerId)} and x.account_id = ${sql.ref(`${line}.account_id`)} limit 1) a`;

/** The account's ledger balance after each line, from the account's first line in `line`'s order (exact NUMERIC). */
const runningSum = (line: string) => sql.raw(`sum(case when ${line}.direction = a.normal_balance then ${line}.amount else -${line}.amount end)
  over (partition by ${line}.account_id order by ${line}.effective_at, ${line}.position, ${line}.seq rows unbounded preceding)`);

/**
 * A line's CSV record, without its line end, from a posting's columns with its account's `type`
 * and `normal_balance`, its asset's `scale` and its `running` balance: the cells of the table
 * (src/app/exports/general-ledger.ts; no cell needs quoting or escaping: ids, codes, times and
 * numbers only). Amounts are rounded to the asset's scale, which they already have: no digit is
 * lost, the scale only fixes the trailing zeros.
 */
const CSV_RECORD = sql.raw(`account_id || ',' || coalesce(type, 'unclassified') || ',' || normal_balance || ',' || currency || ','
  || ${apiTime('effective_at')} || ',' || ${apiTime('recorded_at')} || ',' || position || ',' || seq || ','
  || transaction_id || ',' || direction || ',' || round(amount, scale)::text || ',' || round(running, scale)::text`);

/**
 * One page of the general ledger as CSV text, made by the database (the stream below where the
 * store has it, else the export's hot path). The rows are those of `generalLedgerPage`; the
 * running balance is a window sum over the page plus the balance `from` carries for its account.
 */
export async function generalLedgerCsvPage(
  db: Db, ledgerId: string, position: number, effectiveAsOf: Instant, from: GeneralLedgerCarry | undefined, scales: ReadonlyMap<string, number>, limit: number,
): Promise<GeneralLedgerCsvPage> {
  const after = from?.key;
  const keyset = after === undefined
    ? sql`true`
    : sql`(p.account_id, p.effective_at, p.position, p.seq) > (${after.accountId}, ${after.effectiveAt}::timestamptz, ${after.position}, ${after.seq})`;
  const { rows } = await sql<{ text: string | null; rows: string; last_account: string | null; last_effective_at: string | null; last_position: string | null; last_seq: number | null; last_running: string | null }>`
    with page as materialized (
      -- The page first, by postings_by_account alone: joined before the limit, the planner would read the ledger.
      select p.account_id, p.effective_at, p.position, p.seq, p.transaction_id, p.recorded_at, p.direction, p.amount, p.currency
      from postings p
      where ${POSTED_AT(ledgerId, position, effectiveAsOf)} and ${keyset}
      order by p.account_id, p.effective_at, p.position, p.seq
      limit ${limit}
    ), scales as (${scalesOf(scales, parameter)}), lines as (
      select page.*, a.type, a.normal_balance, s.scale,
             row_number() over (order by page.account_id, page.effective_at, page.position, page.seq) as n,
             (case when page.account_id = ${from?.key.accountId ?? null}::text then ${from?.running ?? '0'}::numeric else 0 end) + ${runningSum('page')} as running
      from page ${accountOf(ledgerId, 'page', parameter)}
      join scales s on s.currency = page.currency
    )
    select string_agg(${CSV_RECORD} || E'\r\n', '' order by n) as text,
           count(*)::text as rows,
           (array_agg(account_id order by n desc))[1] as last_account,
           (array_agg(${sql.raw(apiTime('effective_at'))} order by n desc))[1] as last_effective_at,
           (array_agg(position order by n desc))[1]::text as last_position,
           (array_agg(seq order by n desc))[1] as last_seq,
           (array_agg(running order by n desc))[1]::text as last_running
    from lines`.execute(db);
  const r = rows[0]!;
  const last = r.last_account === null ? null : {
    key: { accountId: r.last_account, effectiveAt: r.last_effective_at!, position: Number(r.last_position), seq: r.last_seq! },
    running: r.last_running!,
  };
  return { text: r.text ?? '', rows: Number(r.rows), last };
}

/**
 * COPY streams running, and the most there may be: each holds a connection of the pool for as
 * long as its reader takes (a slow download, a stalled client); past that, exports page.
 */
export const MAX_CSV_STREAMS = 2;
let streamsRunning = 0;

/**
 * Every page of `generalLedgerCsvPage` as one COPY ... TO STDOUT, made and sent by PostgreSQL a
 * run of records at a time, only as fast as the caller takes them; null while MAX_CSV_STREAMS
 * run. One statement for the whole ledger: no page's query to plan, no carry between pages. Its
 * values are written into it (COPY takes no parameters), and its transaction lifts the statement
 * timeout (the reader sets the pace). PostgreSQL ends each record with LF; CR is put before it.
 */
export function generalLedgerCsvStream(
  db: Db, ledgerId: string, position: number, effectiveAsOf: Instant, scales: ReadonlyMap<string, number>,
): AsyncIterable<GeneralLedgerCsvChunk> | null {
  if (streamsRunning >= MAX_CSV_STREAMS) return null;
  const value: Value = (v) => sql.lit(v);
  const select = sql`
    with scales as (${scalesOf(scales, value)})
    select ${CSV_RECORD} from (
      select p.account_id, p.effective_at, p.position, p.seq, p.transaction_id, p.recorded_at, p.direction, p.amount, p.currency,
             a.type, a.normal_balance, s.scale, ${runningSum('p')} as running
      from postings p ${accountOf(ledgerId, 'p', value)}
      join scales s on s.currency = p.currency
      where ${POSTED_AT(ledgerId, position, effectiveAsOf, value)}) lines
    order by account_id, effective_at, position, seq`.compile(db);
  if (select.parameters.length > 0) throw new Error('a COPY statement takes no parameters');
  return copyChunks(db, CompiledQuery.raw(`${COPY_TO_STDOUT} copy (${select.sql}) to stdout`));
}

async function* copyChunks(db: Db, copy: CompiledQuery): AsyncGenerator<GeneralLedgerCsvChunk> {
  streamsRunning++;
  try {
    const trx = await db.startTransaction().setAccessMode('read only').execute();
    try {
      await sql`set local statement_timeout = 0`.execute(trx); // the reader sets the pace
      // Stopped early, the dialect cancels the COPY and reads what is left of its answer.
      for await (const { rows } of trx.getExecutor().stream<Uint8Array>(copy, 1)) yield withCrBeforeLf(rows[0]!);
    } finally {
      // Read only: a rollback ends it as a commit would, and gives the connection back even if it is lost.
      await trx.rollback().execute().catch(() => {});
    }
  } finally {
    streamsRunning--;
  }
}

/** COPY's records (LF after each) with CRLF after each, and how many there are. */
function withCrBeforeLf(chunk: Uint8Array): GeneralLedgerCsvChunk {
  const ends: number[] = [];
  for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) ends.push(i);
  const bytes = new Uint8Array(chunk.length + ends.length);
  let start = 0;
  for (const [n, end] of ends.entries()) {
    bytes.set(chunk.subarray(start, end), start + n);
    bytes[end + n] = 13;
    start = end;
  }
  bytes.set(chunk.subarray(start), start + ends.length);
  return { bytes, rows: ends.length };
}
