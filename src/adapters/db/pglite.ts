import { PGlite, types } from '@electric-sql/pglite';
import { Kysely, sql, PostgresDialect, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from 'kysely';
import { APP_ROLE, SESSION_SETTINGS, type Database } from './database.ts';
import type { Tables } from './schema.ts';

const asText = (value: string) => value;
/** Given to PGlite once, at its creation: given with each query, they are merged into its own hundreds again each time. */
const TEXT_PARSERS = {
  [types.TIMESTAMPTZ]: asText,
  [types.TIMESTAMP]: asText,
  [types.DATE]: asText,
  [types.NUMERIC]: asText,
  [types.INT8]: asText,
};

/**
 * PostgreSQL's settings for one session in this process: its shared memory is set up (zeroed) at
 * each start and stays resident, and the defaults (128 MB of buffers, 100 connections) cost
 * half a second of each start and 130 MB. The operating system's page cache still holds what
 * the buffers do not. PGlite's own start parameters come first; among them `-F`, no fsync: a
 * commit is written to the data directory's files before it is acknowledged, so it survives
 * the process killed (kill -9), but not the machine losing power.
 */
const START_SETTINGS = ['-c', 'shared_buffers=16MB', '-c', 'max_connections=4'];

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
  private readonly pglite: PGlite;

  constructor(pglite: PGlite) {
    this.pglite = pglite;
  }

  async connect(): Promise<PostgresPoolClient> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    // PGlite answers on this thread, its promises settle without a turn of the event loop: a
    // transaction that began at once would run whole before the requests already received are
    // read, and the group commit would take one write at a time. A turn first lets them queue.
    await new Promise((resolve) => setImmediate(resolve));
    const pglite = this.pglite;
    return {
      async query(sqlText: string, parameters: readonly unknown[]) {
        const result = await pglite.query(sqlText, parameters as unknown[]);
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
 */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const pglite = await PGlite.create({
    ...(dataDir ? { dataDir } : {}), parsers: TEXT_PARSERS, startParams: [...PGlite.defaultStartParams, ...START_SETTINGS],
  });
  await pglite.exec(`set timezone = '${SESSION_SETTINGS.TimeZone}'; set datestyle = '${SESSION_SETTINGS.DateStyle}'`);
  const pool = new PgliteOneClientPool(pglite);
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  let role = 'reset role';
  return {
    kind: 'pglite',
    db,
    asOwner: (work) =>
      pool.exclusive(async () => {
        await pglite.exec('reset role');
        try {
          return await work(async (script, parameters) =>
            parameters === undefined
              ? ((await pglite.exec(script)).at(-1)?.rows ?? [])
              : (await pglite.query<Record<string, unknown>>(script, [...parameters])).rows);
        } finally {
          await pglite.exec(role);
        }
      }),
    async actAsAppRole() {
      role = `set role ${APP_ROLE}`;
      await pool.exclusive(() => pglite.exec(role));
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
      await pglite.close();
    },
  };
}
