import { sql } from 'kysely';
import type { GeneralLedgerCarry, GeneralLedgerCsvPage, GeneralLedgerKey, GeneralLedgerRow, JournalPostingRow } from '../../app/ports.ts';
import { formatInstant, type Instant } from '../../domain/time.ts';
import type { Db } from './database.ts';

/**
 * The exports' reads: the posted postings at (position, effectiveAsOf), a page at a time by key
 * (never an offset), so an export of any size reads a bounded page per query. The general ledger
 * walks postings_by_account (sql/001); a journal walks the postings' primary key.
 */

interface PostingRowText {
  account_id: string; effective_at: string; position: string; seq: number; transaction_id: string;
  recorded_at: string; direction: 'debit' | 'credit'; amount: string; currency: string;
}

const POSTED_AT = (ledgerId: string, position: number, effectiveAsOf: Instant) =>
  sql`p.ledger_id = ${ledgerId} and p.status = 'posted' and p.position <= ${position} and p.effective_at <= ${formatInstant(effectiveAsOf)}::timestamptz`;

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

/**
 * One page of the general ledger as CSV text, made by the database: the export's hot path (a
 * million postings at 100,000 a second). The rows are those of `generalLedgerPage`, the cells those
 * of the table (src/app/exports/general-ledger.ts; no cell needs quoting: ids, codes, times and
 * numbers only), the running balance a window sum over the page plus the balance `from` carries
 * for its account, in NUMERIC (exact), rounded to the asset's scale (which it already has: no
 * digit is lost, the scale only fixes the trailing zeros).
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
    ), scales as (
      select key as currency, value::integer as scale from jsonb_each_text(${JSON.stringify(Object.fromEntries(scales))}::text::jsonb)
    ), lines as (
      select page.*, a.type, a.normal_balance, s.scale,
             row_number() over (order by page.account_id, page.effective_at, page.position, page.seq) as n,
             (case when page.account_id = ${from?.key.accountId ?? null}::text then ${from?.running ?? '0'}::numeric else 0 end)
               + sum(case when page.direction = a.normal_balance then page.amount else -page.amount end)
                   over (partition by page.account_id order by page.effective_at, page.position, page.seq rows unbounded preceding) as running
      from page
      -- One probe of each line's account: planned as a join while the accounts looked few (a new
      -- database), the page was scanned once per account of the ledger (100 accounts: 500,000 rows).
      cross join lateral (select x.type, x.normal_balance from accounts x
                           where x.ledger_id = ${ledgerId} and x.account_id = page.account_id limit 1) a
      join scales s on s.currency = page.currency
    )
    select string_agg(account_id || ',' || coalesce(type, 'unclassified') || ',' || normal_balance || ',' || currency || ','
                      || ${sql.raw(apiTime('effective_at'))} || ',' || ${sql.raw(apiTime('recorded_at'))} || ',' || position || ',' || seq || ','
                      || transaction_id || ',' || direction || ',' || round(amount, scale)::text || ',' || round(running, scale)::text || E'\r\n', '' order by n) as text,
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
