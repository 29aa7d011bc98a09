import { sql } from 'kysely';
import type { PostingTouch } from '../../app/ports.ts';
import { formatInstant, type Instant } from '../../domain/time.ts';
import type { Db } from './database.ts';

/**
 * The posted postings recorded after the key `after` (a position and seq) up to `position`,
 * effective at or before `effectiveTo`, in log order, at most `limit`: a walk of the postings'
 * primary key from `after`, so its cost follows the positions walked, not the ledger's history.
 */
export async function postingsRecordedPage(
  db: Db, ledgerId: string, after: { readonly position: number; readonly seq: number }, position: number, effectiveTo: Instant, limit: number,
): Promise<(PostingTouch & { readonly seq: number })[]> {
  const { rows } = await sql<{ position: string; seq: number; transaction_id: string; account_id: string }>`
    select p.position, p.seq, p.transaction_id, p.account_id
    from postings p
    where p.ledger_id = ${ledgerId} and (p.position, p.seq) > (${after.position}, ${after.seq}) and p.position <= ${position}
      and p.status = 'posted' and p.effective_at <= ${formatInstant(effectiveTo)}::timestamptz
    order by p.position, p.seq
    limit ${limit}`.execute(db);
  return rows.map((r) => ({ position: Number(r.position), seq: r.seq, transactionId: r.transaction_id, accountId: r.account_id }));
}
