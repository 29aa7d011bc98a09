import { CompiledQuery, type Transaction } from 'kysely';
import { COPY_FROM_STDIN, THEN_COMMIT, type CopyIn } from './postgres-js-dialect.ts';
import type { Tables } from './schema.ts';

/**
 * Every table an append writes, with its columns as `json_to_recordset` reads them from the
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

/** Each table's columns as [name, type], and its column names as a list in SQL. */
const COLUMN_PAIRS = {} as Record<AppendTable, readonly (readonly [string, string])[]>;
const NAMES = {} as Record<AppendTable, string>;
for (const [table, columns] of Object.entries(COLUMNS) as [AppendTable, string][]) {
  COLUMN_PAIRS[table] = columns.split(', ').map((column) => column.split(' ') as [string, string]);
  NAMES[table] = COLUMN_PAIRS[table].map(([name]) => name).join(', ');
}

/** An expression run before the inserts (`insertRowsQuery`), its parameters numbered from $1. */
export interface Check {
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

/** The statements' text by the check and the tables written, built once each: an append's statement is the same text every time. */
const texts = new Map<string, string>();

/**
 * One statement that inserts all the rows, table by table (a data-modifying CTE each), so an
 * append costs one round trip however many events, projections and keys it writes: its
 * parameters are the check's, then one JSON document per table, whatever the number of rows.
 * Null when there is nothing to insert. With `check` (an expression that raises or answers a
 * timestamp, `ledger_append_check`), it is evaluated first, before any row is inserted, and its
 * answer is the statement's (`checked`, as text).
 */
export function insertRowsQuery(rowsByTable: RowsByTable, check?: Check): CompiledQuery | null {
  const parameters: unknown[] = check ? [...check.parameters] : [];
  let key = check?.sql ?? '';
  for (const table in rowsByTable) {
    const rows = rowsByTable[table as AppendTable]!;
    if (rows.length === 0) continue;
    key += `|${table}`;
    parameters.push(JSON.stringify(rows));
  }
  if (parameters.length === (check?.parameters.length ?? 0)) return null;
  let text = texts.get(key);
  if (text === undefined) texts.set(key, (text = insertRowsText(key.split('|').slice(1) as AppendTable[], check)));
  return CompiledQuery.raw(text, parameters);
}

function insertRowsText(tables: readonly AppendTable[], check?: Check): string {
  const guard = check ? ' where (select checked from ledger_check) is not null' : '';
  const first = (check?.parameters.length ?? 0) + 1;
  // ::text first: the postgres driver would JSON-encode a string bound straight to json. json,
  // not jsonb: json_to_recordset took a fifth of the time jsonb_to_recordset did over a
  // group's seven rows (psql: 0.33 against 1.54 ms a document), with the same rows.
  const inserts = tables.map((table, index) => `new_${table} as (
    insert into ${table} (${NAMES[table]})
    select ${NAMES[table]} from json_to_recordset($${first + index}::text::json) as r(${COLUMNS[table]})${guard}
    returning 1)`);
  if (!check) return `with ${inserts.join(', ')} select 1`;
  return `with ledger_check as (select (${check.sql})::text as checked), ${inserts.join(', ')} select checked from ledger_check`;
}

/** Appends of this many rows or more go as COPY where the database takes it. */
export const COPY_FROM_ROWS = 256;

/**
 * An append's rows, as the last statement of its transaction, which the driver sends the COMMIT
 * with (THEN_COMMIT): COPY FROM STDIN where `copy` (the PostgreSQL dialect) and the append is
 * large, else one statement.
 */
export async function writeRows(trx: Transaction<Tables>, rowsByTable: RowsByTable, copy: boolean): Promise<void> {
  const count = Object.values(rowsByTable).reduce((sum, rows) => sum + rows.length, 0);
  if (copy && count >= COPY_FROM_ROWS) {
    await trx.executeQuery(copyRowsStatement(rowsByTable));
    return;
  }
  const query = insertRowsQuery(rowsByTable);
  if (query) await trx.executeQuery(CompiledQuery.raw(`${THEN_COMMIT} ${query.sql}`, [...query.parameters]));
}

/**
 * The same rows as `copy ... from stdin` statements, one a table, sent together with their data
 * and the COMMIT behind them (COPY_FROM_STDIN, run only by the PostgreSQL dialect): for a large
 * append, PostgreSQL reads COPY's text format about ten times faster than one JSON document of
 * every row (docs/benchmarks.md).
 */
export function copyRowsStatement(rowsByTable: RowsByTable): CompiledQuery {
  const copies: CopyIn[] = (Object.entries(rowsByTable) as [AppendTable, readonly Record<string, unknown>[]][])
    .filter(([, rows]) => rows.length > 0)
    .map(([table, rows]) => {
      const columns = COLUMN_PAIRS[table];
      let data = '';
      for (const row of rows) {
        for (const [index, [name, type]] of columns.entries()) data += (index === 0 ? '' : '\t') + copyField(row[name], type);
        data += '\n';
      }
      return { statement: `copy ${table} (${NAMES[table]}) from stdin`, data };
    });
  return CompiledQuery.raw(`${COPY_FROM_STDIN} ${THEN_COMMIT} ${copies.map((c) => c.statement).join('; ')}`, copies);
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value in COPY's text format: as `json_to_recordset` reads the same row's field (a jsonb column takes any JSON). */
function copyField(value: unknown, type: string): string {
  if (value === null || value === undefined) return '\\N';
  if (type === 'jsonb' || typeof value === 'object') {
    // JSON text has no raw tab or line break (JSON.stringify escapes them, with a backslash).
    const json = JSON.stringify(value);
    return json.includes('\\') ? json.replaceAll('\\', '\\\\') : json;
  }
  const text = String(value);
  return COPY_SPECIAL.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : text;
}
