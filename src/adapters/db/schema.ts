import type { ColumnType, RawBuilder } from 'kysely';
import type { AccountType } from '../../domain/account-type.ts';

/**
 * The tables as Kysely sees them. Drivers are set to hand back timestamptz, numeric and bigint
 * as text, so nothing is truncated to milliseconds or squeezed into a JS number on the way.
 */
type Timestamp = ColumnType<string, string, never>;
type BigintText = ColumnType<string | number, number | string, never>;
type Json = ColumnType<unknown, string | RawBuilder<string>, never>;

export interface LedgersTable { ledger_id: string; name: string; timezone: string; recorded_at: Timestamp }
export interface EventsTable {
  ledger_id: string; position: BigintText; type: string; recorded_at: Timestamp; actor: string;
  request_id: string; data: Json; prev_hash: string; hash: string;
}
export interface AssetsTable { ledger_id: string; code: string; scale: number; position: BigintText }
export interface AccountsTable {
  ledger_id: string; account_id: string; name: string; normal_balance: 'debit' | 'credit'; currency: string;
  no_overdraft: boolean; metadata: Json; type: AccountType | null; position: BigintText; recorded_at: Timestamp;
}
export interface AccountClosuresTable { ledger_id: string; account_id: string; position: BigintText; recorded_at: Timestamp }
export interface TransactionsTable {
  ledger_id: string; transaction_id: string; position: BigintText; status: 'posted' | 'pending';
  effective_at: Timestamp; recorded_at: Timestamp; reverses: string | null; corrects: string | null; data: Json;
}
export interface PostingsTable {
  ledger_id: string; position: BigintText; seq: number; transaction_id: string; account_id: string;
  direction: 'debit' | 'credit'; amount: string; currency: string; status: 'posted' | 'pending';
  effective_at: Timestamp; recorded_at: Timestamp; expires_at: Timestamp | null;
}
export interface IdempotencyKeysTable {
  ledger_id: string; scope: string; key: string; request: Json; first_position: BigintText; last_position: BigintText;
}
export interface ApiKeysTable {
  key_id: string; key_hash: string; name: string; role: string; ledger_ids: Json;
  created_at: ColumnType<string, string | undefined, never>;
}
export interface ApiKeyRevocationsTable { key_id: string; revoked_at: ColumnType<string, string | undefined, never> }

export interface PeriodClosesTable { ledger_id: string; position: BigintText; through: string; recorded_at: Timestamp }

export interface HoldResolutionsTable {
  ledger_id: string; hold_id: string; position: BigintText; type: 'posted' | 'voided'; effective_at: Timestamp; recorded_at: Timestamp; data: Json;
}

export interface RejectionsTable {
  ledger_id: string; seq: ColumnType<string, never, never>; position: BigintText; recorded_at: Timestamp; code: string; detail: string;
  errors: Json; actor: string; request_id: string; commands: Json;
}

export interface Tables {
  rejections: RejectionsTable;
  hold_resolutions: HoldResolutionsTable;
  period_closes: PeriodClosesTable;
  ledgers: LedgersTable;
  events: EventsTable;
  assets: AssetsTable;
  accounts: AccountsTable;
  account_closures: AccountClosuresTable;
  transactions: TransactionsTable;
  postings: PostingsTable;
  idempotency_keys: IdempotencyKeysTable;
  api_keys: ApiKeysTable;
  api_key_revocations: ApiKeyRevocationsTable;
}
