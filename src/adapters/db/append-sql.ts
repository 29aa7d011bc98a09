import { sql, type RawBuilder } from 'kysely';

/**
 * Every table an append writes, with its columns as `jsonb_to_recordset` reads them from the
 * rows the store sends: one JSON parameter per table, whatever the number of rows.
 */
const COLUMNS = {
  events: 'ledger_id text, position bigint, type text, recorded_at timestamptz, actor text, request_id text, data jsonb, prev_hash text, hash text',
  ledgers: 'ledger_id text, name text, timezone text, recorded_at timestamptz',
  assets: 'ledger_id text, code text, scale integer, position bigint',
  accounts: 'ledger_id text, account_id text, name text, normal_balance text, currency text, no_overdraft boolean, metadata jsonb, type text, position bigint, recorded_at timestamptz',
  account_closures: 'ledger_id text, account_id text, position bigint, recorded_at timestamptz',
  transactions: 'ledger_id text, transaction_id text, position bigint, status text, effective_at timestamptz, recorded_at timestamptz, reverses text, corrects text, data jsonb',
  postings: 'ledger_id text, position bigint, seq integer, transaction_id text, account_id text, direction text, amount numeric, currency text, status text, effective_at timestamptz, recorded_at timestamptz, expires_at timestamptz',
  period_closes: 'ledger_id text, position bigint, through date, recorded_at timestamptz',
  hold_resolutions: 'ledger_id text, hold_id text, position bigint, type text, effective_at timestamptz, recorded_at timestamptz, data jsonb',
  idempotency_keys: 'ledger_id text, scope text, key text, request jsonb, first_position bigint, last_position bigint',
  rejections: 'ledger_id text, position bigint, recorded_at timestamptz, code text, detail text, errors jsonb, actor text, request_id text, commands jsonb',
} as const;

export type AppendTable = keyof typeof COLUMNS;
export type RowsByTable = Partial<Record<AppendTable, readonly Record<string, unknown>[]>>;

/**
 * One statement that inserts all the rows, table by table (a data-modifying CTE each), so an
 * append costs one round trip however many events, projections and keys it writes. Null when
 * there is nothing to insert. With `check` (an expression that raises or answers a timestamp,
 * `ledger_append_check`), it is evaluated first, before any row is inserted, and its answer is
 * the statement's (`checked`, as text).
 */
export function insertRowsStatement(rowsByTable: RowsByTable, check?: RawBuilder<unknown>): RawBuilder<unknown> | null {
  const guard = check ? sql` where (select checked from ledger_check) is not null` : sql``;
  const inserts = (Object.entries(rowsByTable) as [AppendTable, readonly Record<string, unknown>[]][])
    .filter(([, rows]) => rows.length > 0)
    .map(([table, rows]) => {
      const columns = COLUMNS[table];
      const names = sql.raw(columns.split(', ').map((column) => column.split(' ')[0]).join(', '));
      // ::text first: the postgres driver would JSON-encode a string bound straight to jsonb.
      return sql`${sql.raw(`new_${table}`)} as (
        insert into ${sql.raw(table)} (${names})
        select ${names} from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as r(${sql.raw(columns)})${guard}
        returning 1)`;
    });
  if (inserts.length === 0) return null;
  if (!check) return sql`with ${sql.join(inserts)} select 1`;
  return sql`with ledger_check as (select (${check})::text as checked), ${sql.join(inserts)} select checked from ledger_check`;
}
