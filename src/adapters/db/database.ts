import type { Kysely } from 'kysely';
import type { Tables } from './schema.ts';

export type Db = Kysely<Tables>;

/** One database, whichever driver: the query builder, plus what Kysely has no words for. */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly db: Db;
  /** The run-time pool's size, connections in use and queries waiting for one (PostgreSQL): the metrics' figure. */
  poolUse?(): { readonly size: number; readonly inUse: number; readonly waiting: number };
  /**
   * Runs `work` on one session as the database owner, not as the run-time role: migrations.
   * `run` takes a script of one or more statements and answers the rows of the last, or one
   * statement with its parameters.
   */
  asOwner<T>(work: (run: OwnerRun) => Promise<T>): Promise<T>;
  /**
   * From now on, act as the run-time role (sql/002): it may read and insert, and update nothing
   * but derived state the projector keeps (balance_tails, the reporting schema), never a fact.
   */
  actAsAppRole(): Promise<void>;
  /** A trivial query, rejecting when the database does not answer: the availability probe. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type OwnerRun = (script: string, parameters?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** The role the service acts as at run time. */
export const APP_ROLE = 'ledger_app';

export const SESSION_SETTINGS = { TimeZone: 'UTC', DateStyle: 'ISO, YMD' } as const;
