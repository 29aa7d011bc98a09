import { sql } from 'kysely';
import type { GeneralLedgerKey, GeneralLedgerRow, JournalPostingRow } from '../../app/ports.ts';
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
