import { sql } from 'kysely';
import type { AccountSums, LedgerInfo, PointRead, ReadAt, ReadPoint } from '../../app/ports.ts';
import type { AccountType } from '../../domain/account-type.ts';
import type { NormalBalance } from '../../domain/events.ts';
import { formatInstant, parseDbTimestamp, type Instant } from '../../domain/time.ts';
import type { Db } from './database.ts';

// Point reads in one round trip each (sql/functions/ledger_point_reads.sql): the read point and
// what is read there come back from one statement.

const toTimestamp = (t: Instant | undefined) => (t === undefined ? null : formatInstant(t));

interface PointColumns {
  readonly ledger_found: boolean;
  readonly read_position: string | null;
  readonly read_recorded_at: string | null;
  readonly read_now: string | null;
}

function pointOf(row: PointColumns): ReadPoint {
  return {
    position: Number(row.read_position),
    recordedAt: row.read_recorded_at === null ? null : parseDbTimestamp(row.read_recorded_at),
    now: parseDbTimestamp(row.read_now!),
  };
}

/** A position is sent as text: the statement's parameter types stay the same whichever coordinate is given. */
const positionOf = (at: ReadAt) => (at.position === undefined ? null : String(at.position));

export async function ledgerRead(db: Db, ledgerId: string, at: ReadAt): Promise<PointRead<LedgerInfo>> {
  const { rows } = await sql<PointColumns & { name: string | null; timezone: string | null; closed_through: string | null }>`
    select * from ledger_info_read(${ledgerId}, ${toTimestamp(at.recordedAsOf)}::timestamptz, ${positionOf(at)}::bigint)`.execute(db);
  const row = rows[0]!;
  if (!row.ledger_found) return null;
  const point = pointOf(row);
  return {
    point,
    found: { ledgerId, name: row.name!, timezone: row.timezone!, head: point.position, closedThrough: row.closed_through },
  };
}

type BalanceColumns = PointColumns & {
  readonly read_effective_at: string | null;
  readonly name: string | null;
  readonly normal_balance: NormalBalance | null;
  readonly currency: string | null;
  readonly no_overdraft: boolean | null;
  readonly metadata: Record<string, unknown> | null;
  readonly type: AccountType | null;
  readonly opened_position: string | null;
  readonly opened_at: string | null;
  readonly closed: boolean | null;
  readonly asset_scale: number | null;
} & Record<'posted_debits' | 'posted_credits' | 'pending_debits' | 'pending_credits' | 'scheduled_debits' | 'scheduled_credits', string>;

export async function balanceRead(
  db: Db, ledgerId: string, accountId: string, at: ReadAt, effectiveAt: Instant | undefined, tailMax: number,
): Promise<PointRead<AccountSums>> {
  const { rows } = await sql<BalanceColumns>`
    select ledger_found, read_position, read_recorded_at, read_now, read_effective_at, name, normal_balance, currency, no_overdraft,
           metadata, type, opened_position, opened_at, closed, asset_scale,
           posted_debits::text, posted_credits::text, pending_debits::text, pending_credits::text, scheduled_debits::text, scheduled_credits::text
      from ledger_balance_read(${ledgerId}, ${accountId}, ${toTimestamp(at.recordedAsOf)}::timestamptz, ${positionOf(at)}::bigint,
                               ${toTimestamp(effectiveAt)}::timestamptz, ${tailMax}::integer)`.execute(db);
  const row = rows[0]!;
  if (!row.ledger_found) return null;
  const point = pointOf(row);
  if (row.name === null) return { point, found: null };
  return {
    point,
    found: {
      account: {
        accountId, name: row.name, normalBalance: row.normal_balance!, currency: row.currency!, noOverdraft: row.no_overdraft!,
        metadata: row.metadata!, type: row.type, closed: row.closed!, position: Number(row.opened_position), recordedAt: parseDbTimestamp(row.opened_at!),
      },
      effectiveAt: parseDbTimestamp(row.read_effective_at!),
      assetScale: row.asset_scale,
      sums: {
        postedDebits: row.posted_debits, postedCredits: row.posted_credits, pendingDebits: row.pending_debits,
        pendingCredits: row.pending_credits, scheduledDebits: row.scheduled_debits, scheduledCredits: row.scheduled_credits,
      },
    },
  };
}

/** How many ledgers' timezones a store keeps. */
const TIMEZONES_KEPT = 10_000;

/**
 * A ledger's timezone, read once: it is fixed when the ledger is created (spec section 2), and a
 * ledger is never removed. Ledgers not found are not kept (one may be created next).
 */
export function timezoneCache(read: (ledgerId: string) => Promise<string | null>): (ledgerId: string) => Promise<string | null> {
  const kept = new Map<string, string>();
  return async (ledgerId) => {
    const known = kept.get(ledgerId);
    if (known !== undefined) return known;
    const timezone = await read(ledgerId);
    if (timezone === null) return null;
    if (kept.size >= TIMEZONES_KEPT) kept.delete(kept.keys().next().value!);
    kept.set(ledgerId, timezone);
    return timezone;
  };
}
