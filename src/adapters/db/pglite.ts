import { Worker } from 'node:worker_threads';
import { Kysely, sql, PostgresDialect, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from 'kysely';
import { APP_ROLE, SESSION_SETTINGS, type Database } from './database.ts';
import { keepStatistics } from './pglite-statistics.ts';
import type { DataDirCopy } from './pglite-template.ts';
import type { Tables } from './schema.ts';

/** What pglite-thread.js is asked: a query with its parameters, a script without, or to close. */
type ThreadRequest = { readonly id: number; readonly sql: string; readonly params?: readonly unknown[] } | { readonly id: number; readonly close: true };
/** What it answers: the rows, or the error's message and its own plain fields (PostgreSQL's `code`, `detail`, ...). */
type ThreadAnswer =
  | { readonly id: number; readonly rows: Record<string, unknown>[]; readonly affectedRows?: number | undefined }
  | { readonly id: number; readonly error: { readonly message: string } & Record<string, string | number | boolean> };

type Command = PostgresQueryResult<unknown>['command'];
type Rows = Record<string, unknown>[];

function commandOf(sqlText: string): Command {
  const word = /^\s*(\w+)/.exec(sqlText)?.[1]?.toUpperCase();
  return (['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(word ?? '') ? word : 'SELECT') as Command;
}

/**
 * PGlite on its own thread (pglite-thread.js): its WebAssembly would otherwise block this
 * thread's event loop for as long as each statement runs, HTTP included. Requests go in order;
 * the thread keeps the process alive only while one is unanswered, as PGlite in-process would.
 */
class PgliteThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (answer: { rows: Rows; affectedRows?: number | undefined }) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private gone: Error | undefined;
  readonly opened: Promise<void>;

  /** `copy`: made first, by the thread (the template copied into `dataDir`). */
  constructor(dataDir: string | undefined, copy: DataDirCopy | undefined) {
    this.worker = new Worker(new URL('./pglite-thread.js', import.meta.url), { workerData: { dataDir, copy } });
    this.opened = new Promise((resolve, reject) => this.waiting.set(0, { resolve: () => resolve(), reject }));
    this.worker.on('message', (answer: ThreadAnswer) => {
      const waiter = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      if (this.waiting.size === 0) this.worker.unref();
      if ('error' in answer) waiter?.reject(Object.assign(new Error(answer.error.message), answer.error));
      else waiter?.resolve(answer);
    });
    const fail = (error: Error) => {
      this.gone = error;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the PGlite thread has exited (${code})`)));
  }

  /** One statement with its parameters (its rows), or a script of statements without (the last one's rows). */
  query(sqlText: string, params?: readonly unknown[]): Promise<{ rows: Rows; affectedRows?: number | undefined }> {
    return this.send({ id: this.nextId++, sql: sqlText, ...(params ? { params } : {}) });
  }

  /** Closes the database (a clean shutdown of PostgreSQL), then ends the thread. */
  async close(): Promise<void> {
    try {
      if (!this.gone) await this.send({ id: this.nextId++, close: true });
    } finally {
      await this.worker.terminate();
    }
  }

  private send(request: ThreadRequest): Promise<{ rows: Rows; affectedRows?: number | undefined }> {
    if (this.gone) return Promise.reject(this.gone);
    return new Promise((resolve, reject) => {
      this.waiting.set(request.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(request);
    });
  }
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
export async function openPglite(dataDir: string | undefined, copy?: DataDirCopy): Promise<Database> {
  const pglite = new PgliteThread(dataDir, copy);
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
