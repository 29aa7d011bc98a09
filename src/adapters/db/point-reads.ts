import { CompiledQuery } from 'kysely';
import type { AccountSums, LedgerInfo, PointRead, ReadAt, ReadPoint } from '../../app/ports.ts';
import type { AccountType } from '../../domain/account-type.ts';
import type { NormalBalance } from '../../domain/events.ts';
import { formatInstant, parseDbTimestamp, type Instant } from '../../domain/time.ts';
import type { Db } from './database.ts';
import { BalanceReadBatches, balanceReadQuery } from './balance-read-batches.ts';
import { directStatementOf } from './postgres-js-dialect.ts';

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

/**
 * A point read's one statement: on PostgreSQL straight on the driver's pool (`DirectStatement`:
 * no reservation, no Kysely executor, and a read may share a busy connection's round trip), else
 * through Kysely. Its text is a constant: nothing to compile a read.
 */
async function rowsOf<R>(db: Db, statement: string, parameters: readonly unknown[]): Promise<readonly R[]> {
  const query = CompiledQuery.raw(statement, parameters as unknown[]);
  const direct = directStatementOf(db);
  return (direct ? await direct(query) : (await db.executeQuery(query)).rows) as readonly R[];
}

/** A position is sent as text: the statement's parameter types stay the same whichever coordinate is given. */
const positionOf = (at: ReadAt) => (at.position === undefined ? null : String(at.position));

const LEDGER_READ = 'select * from ledger_info_read($1, $2::timestamptz, $3::bigint)';

export async function ledgerRead(db: Db, ledgerId: string, at: ReadAt): Promise<PointRead<LedgerInfo>> {
  const rows = await rowsOf<PointColumns & { name: string | null; timezone: string | null; closed_through: string | null }>(
    db, LEDGER_READ, [ledgerId, toTimestamp(at.recordedAsOf), positionOf(at)]);
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

/** Each pool's balance reads, gathered into statements under load. */
const batchesOf = new WeakMap<object, BalanceReadBatches>();

/** The balance reads of `db`'s pool (PostgreSQL through this driver); undefined for another database. */
export function balanceReadBatchesOf(db: Db): BalanceReadBatches | undefined {
  let batches = batchesOf.get(db);
  if (batches === undefined) {
    const direct = directStatementOf(db);
    if (direct === undefined) return undefined;
    batches = new BalanceReadBatches(direct);
    batchesOf.set(db, batches);
  }
  return batches;
}

export async function balanceRead(
  db: Db, ledgerId: string, accountId: string, at: ReadAt, effectiveAt: Instant | undefined, tailMax: number,
): Promise<PointRead<AccountSums>> {
  const parameters = { ledgerId, accountId, recordedAsOf: toTimestamp(at.recordedAsOf), position: positionOf(at), effectiveAt: toTimestamp(effectiveAt), tailMax };
  const batches = balanceReadBatchesOf(db);
  const row = (batches
    ? await batches.read(parameters)
    : (await db.executeQuery(balanceReadQuery(parameters))).rows[0]) as BalanceColumns;
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
