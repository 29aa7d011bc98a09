import { Kysely, sql, PostgresDialect, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from 'kysely';
import { APP_ROLE, SESSION_SETTINGS, type Database } from './database.ts';
import { keepStatistics } from './table-statistics.ts';
import type { DataDirCopy } from './pglite-template.ts';
import { PgliteThread } from './pglite-worker.ts';
import type { Tables } from './schema.ts';

type Command = PostgresQueryResult<unknown>['command'];

function commandOf(sqlText: string): Command {
  const word = /^\s*(\w+)/.exec(sqlText)?.[1]?.toUpperCase();
  return (['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(word ?? '') ? word : 'SELECT') as Command;
}

/**
 * PGlite is one connection: Kysely's transactions must not interleave on it, so `connect` takes
 * a lock that `release` gives back, and the pool looks to Kysely like pg's with one client.
 */
class PgliteOneClientPool implements PostgresPool {
  readonly options = {};
  private tail: Promise<void> = Promise.resolve();
  private readonly pglite: PgliteThread;

  constructor(pglite: PgliteThread) {
    this.pglite = pglite;
  }

  async connect(): Promise<PostgresPoolClient> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    const pglite = this.pglite;
    return {
      async query(sqlText: string, parameters: readonly unknown[]) {
        const result = await pglite.query(sqlText, parameters);
        return { command: commandOf(sqlText), rowCount: result.affectedRows ?? result.rows.length, rows: result.rows };
      },
      release,
    } as unknown as PostgresPoolClient;
  }

  /** Runs `work` with the connection to itself. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      return await work();
    } finally {
      client.release();
    }
  }

  async end(): Promise<void> {}
}

/**
 * The embedded database: PGlite persisted under `dataDir` (a data directory without a database
 * is made by initdb: see pglite-template.ts for the faster way), or in memory when it is undefined.
 * With `copy`, PGlite's thread first copies a data directory (the template) into `dataDir`.
 */
export function openPglite(dataDir: string | undefined, copy?: DataDirCopy): Promise<Database> {
  return openPgliteOn(new PgliteThread(dataDir, copy));
}

/** The embedded database on a PGlite thread already started (and maybe still opening). */
export async function openPgliteOn(pglite: PgliteThread): Promise<Database> {
  try {
    await pglite.opened;
  } catch (error) {
    await pglite.close().catch(() => {});
    throw error;
  }
  await pglite.query(`set timezone = '${SESSION_SETTINGS.TimeZone}'; set datestyle = '${SESSION_SETTINGS.DateStyle}'`);
  const pool = new PgliteOneClientPool(pglite);
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  let role = 'reset role';
  const asOwner: Database['asOwner'] = (work) =>
    pool.exclusive(async () => {
      await pglite.query('reset role');
      try {
        return await work(async (script, parameters) => (await pglite.query(script, parameters)).rows);
      } finally {
        await pglite.query(role);
      }
    });
  const statistics = keepStatistics(asOwner);
  return {
    kind: 'pglite',
    db,
    asOwner,
    async actAsAppRole() {
      role = `set role ${APP_ROLE}`;
      await pool.exclusive(() => pglite.query(role));
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await statistics.stop();
      await db.destroy();
      await pglite.close();
    },
  };
}
