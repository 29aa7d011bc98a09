import { Kysely } from 'kysely';
import { PostgresJsDialect } from './postgres-js-dialect.ts';
import postgres from 'postgres';
import { APP_ROLE, SESSION_SETTINGS, type Database } from './database.ts';
import type { Tables } from './schema.ts';
import { keepStatistics } from './table-statistics.ts';

const asText = (value: string) => value;
const CLOSE_TIMEOUT_S = 5;
/** A connection attempt gives up after this: a database that is gone must not hold a request. */
const CONNECT_TIMEOUT_S = 5;
/** Without a statement timeout, what a wait for a connection from the pool counts a statement as. */
const NO_STATEMENT_TIMEOUT_WAIT_MS = 60_000;
/**
 * Seconds before a connection that failed tries again, by failures in a row: at most a tenth of a
 * second (the driver's default grows to 20 s). Queries queued for a connection when PostgreSQL
 * dies each wait for one such try, in turn, so this bounds how long they take to fail; it also
 * brings the pool back within moments of PostgreSQL accepting connections. What paces the tries
 * while it is down is the availability probe: the service sends nothing else then.
 */
const reconnectDelayS = (failures: number) => Math.min(0.01 * 2 ** failures, 0.1);
/** How the service's connections reconnect; the same for the pool, the owner and the probe. */
const RECONNECT = { connect_timeout: CONNECT_TIMEOUT_S, backoff: reconnectDelayS, onnotice: () => {} } as const;

// timestamptz, timestamp and date stay text: a JS Date would drop the microseconds.
const TEXT_TYPES = {
  timestamps: { to: 1184, from: [1082, 1114, 1184], serialize: asText, parse: asText },
};

/**
 * How the run-time sessions plan. jit off: compiling a plan costs milliseconds, more than any of
 * the service's queries runs. No parallel workers: starting them costs milliseconds too (90 ms a
 * write under load, measured), for queries that read a few hundred rows by index; a plan that a
 * session cached while a ledger was small (PL/pgSQL keeps generic plans) chose them for every
 * balance sum once the ledger held a million postings.
 */
export const RUN_TIME_PLANNING = { jit: 'off', max_parallel_workers_per_gather: '0' } as const; // text: the driver drops settings that are falsy

export interface PostgresOptions {
  /** Connections in the run-time pool. */
  readonly poolSize?: number;
  /** `statement_timeout` of the run-time pool (not of migrations); 0 or absent is none. */
  readonly statementTimeoutMs?: number | undefined;
  /**
   * Ask the database for `synchronous_commit` first, and turn it back `on` for the run-time
   * sessions if it is `off` (one extra connection at start; the Workers entry, which opens per
   * request, leaves it to the operator).
   */
  readonly ensureSynchronousCommit?: boolean;
  /**
   * ANALYZE the tables grown by a tenth every few seconds, as the embedded database does
   * (table-statistics.ts): autovacuum looks once a minute, and until then the planner takes the
   * rows of a ledger loaded since for none (plans that read the whole ledger, on the service's
   * reads right after a bulk load). Best effort: a role that may not analyze, or a replica, just
   * leaves it to autovacuum.
   */
  readonly keepStatistics?: boolean;
}

/**
 * The session settings that keep a commit durable: none when the URL's user gets a durable
 * `synchronous_commit` already, else `on`. With `off`, PostgreSQL acknowledges a commit before
 * its WAL is written, so a crash of PostgreSQL could lose a write the service answered 201 for.
 */
async function durableCommitSettings(url: string): Promise<Record<string, string>> {
  const probe = postgres(url, { ...RECONNECT, max: 1, connection: SESSION_SETTINGS });
  try {
    const [row] = await probe<{ value: string }[]>`select current_setting('synchronous_commit') as value`;
    return row!.value === 'off' ? { synchronous_commit: 'on' } : {};
  } finally {
    await probe.end();
  }
}

/** PostgreSQL through the `postgres` driver: migrations as the URL's user, run time as `ledger_app`. */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Database> {
  const durable = options.ensureSynchronousCommit ? await durableCommitSettings(url) : {};
  const poolSize = options.poolSize ?? 10;
  const pool = postgres(url, {
    ...RECONNECT,
    max: poolSize,
    types: TEXT_TYPES,
    connection: { ...SESSION_SETTINGS, ...durable, role: APP_ROLE, statement_timeout: options.statementTimeoutMs ?? 0, ...RUN_TIME_PLANNING },
  });
  // A connection waits for the pool at most as long as a statement may run, and a connection
  // attempt may take, twice over: longer, the pool has lost the reservation (reserveWithin).
  const reserveTimeoutMs = 2 * ((options.statementTimeoutMs || NO_STATEMENT_TIMEOUT_WAIT_MS) + CONNECT_TIMEOUT_S * 1000);
  const dialect = new PostgresJsDialect(pool, { reserveTimeoutMs });
  const db = new Kysely<Tables>({ dialect });
  dialect.directFor(db);
  // Pings run on a connection of their own, so that a pool busy with long queries does not look
  // like a database that is gone. Its failures are the availability monitor's to pace.
  const pinger = postgres(url, { ...RECONNECT, backoff: () => 0, max: 1, connection: SESSION_SETTINGS });
  const asOwner: Database['asOwner'] = async (work) => {
    const owner = postgres(url, { ...RECONNECT, max: 1, types: TEXT_TYPES, connection: SESSION_SETTINGS });
    try {
      return await work(async (script, parameters) => [...(await owner.unsafe(script, parameters as never))] as Record<string, unknown>[]);
    } finally {
      await owner.end();
    }
  };
  const statistics = options.keepStatistics ? keepStatistics(asOwner) : null;
  return {
    kind: 'postgres',
    db,
    asOwner,
    async actAsAppRole() {},
    async ping() {
      await pinger`select 1`;
    },
    poolUse: () => ({ size: poolSize, ...dialect.counts }),
    async close() {
      // Queries get 5 s to finish, then connections are cut: a database that is gone (a replica
      // killed, say) would otherwise keep end() waiting forever. Kysely's destroy then finds the
      // pool ended.
      await statistics?.stop();
      await Promise.all([pool.end({ timeout: CLOSE_TIMEOUT_S }), pinger.end({ timeout: 0 })]);
      await db.destroy();
    },
  };
}
