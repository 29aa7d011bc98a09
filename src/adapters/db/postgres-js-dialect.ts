import {
  CompiledQuery, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler,
  type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryResult, type TransactionSettings,
} from 'kysely';
import { finished } from 'node:stream/promises';
import type { ReservedSql, Sql } from 'postgres';

/**
 * A statement that begins with this comment is the last of its transaction: the driver sends the
 * COMMIT right behind it, without waiting for its answer, and Kysely's commit that follows is
 * then only a check. Other dialects run it as written (the comment is SQL) and commit after it.
 */
export const THEN_COMMIT = '/* then commit */';

/**
 * A query whose SQL begins with this comment is one or more `copy ... from stdin` statements,
 * each a parameter (`CopyIn`: the statement and its data, in COPY's text format). The driver
 * sends them all at once, each statement with its data behind it (the driver's patch), so
 * PostgreSQL takes one after the other with no wait for this process; the query's answer is the
 * first failure, in the order sent. With THEN_COMMIT after this comment, the COMMIT goes out
 * behind them. Only this dialect runs it.
 */
export const COPY_FROM_STDIN = '/* copy from stdin */';

/** One `copy ... from stdin` statement of a COPY_FROM_STDIN query, and its rows in COPY's text format. */
export interface CopyIn {
  readonly statement: string;
  readonly data: string;
}

/**
 * A statement that begins with this comment is a `copy ... to stdout` with no parameters: Kysely's
 * `stream` runs it, each result one run of its data as sent (`rows: [a Buffer]`). Only this dialect runs it.
 */
export const COPY_TO_STDOUT = '/* copy to stdout */';

/**
 * Runs one statement, prepared, on whichever connection of the driver's pool is free, outside
 * any transaction and without Kysely: no reservation, no executor. For the one-round-trip append
 * (one-trip-append.ts), one autocommit statement a commit, where Kysely's way (a connection
 * reserved, its timer, the executor's hops) cost more of the process's CPU than the statement's
 * own encode. The answer's rows.
 */
export type DirectStatement = (query: CompiledQuery) => Promise<readonly unknown[]>;

const directStatements = new WeakMap<object, DirectStatement>();

/** The pool's `DirectStatement` behind `db`, a Kysely instance over this dialect (`openPostgres` tells it); else undefined. */
export function directStatementOf(db: object): DirectStatement | undefined {
  return directStatements.get(db);
}

/**
 * Kysely over the `postgres` driver: Kysely's one seam to a driver. Each Kysely connection is a
 * connection reserved from the driver's pool, and every statement is prepared (the driver keeps
 * it per connection). A transaction costs no round trip of its own: its BEGIN goes out with its
 * first statement, and its COMMIT with the statement marked THEN_COMMIT (PostgreSQL answers them
 * in order, so this is the same transaction as one statement at a time, a round trip shorter). Our own rather than kysely-postgres-js, whose driver inherits Kysely's
 * PostgreSQL rollback: when a rollback fails (the connection is gone) it calls a method that only
 * Kysely's own `pg` connection has, and a lost connection became a 500.
 */
export class PostgresJsDialect implements Dialect {
  private readonly sql: Sql;
  private readonly reserveTimeoutMs: number;
  /** Connections reserved now (and direct statements in flight), and acquisitions waiting for one: the pool's use, for the metrics. */
  readonly counts: PoolCounts = { inUse: 0, waiting: 0 };

  /** `reserveTimeoutMs`: how long a connection may take to come from the pool (reserveWithin). */
  constructor(sql: Sql, options: { reserveTimeoutMs: number }) {
    this.sql = sql;
    this.reserveTimeoutMs = options.reserveTimeoutMs;
  }

  createAdapter() {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return new PostgresJsDriver(this.sql, this.reserveTimeoutMs, this.counts);
  }

  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }

  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }

  /** Lets `directStatementOf(db)` find this dialect's pool: `db` is the Kysely instance made with it. */
  directFor(db: object): void {
    const { sql, counts } = this;
    // Counted in use while in flight, as a reservation is: the pool's gauge then still shows its load.
    directStatements.set(db, async (query) => {
      counts.inUse++;
      try {
        return await sql.unsafe(query.sql, query.parameters as never[], { prepare: true }).execute();
      } finally {
        counts.inUse--;
      }
    });
  }
}

/**
 * A connection reserved from the pool, or a CONNECT_TIMEOUT error (the database is unavailable)
 * after `timeoutMs`. The driver can lose a reservation that waits in its queue when a connection
 * closes (docs/architecture.md#the-driver): without a bound, the write waiting for it, and every
 * write of its ledger queued behind, would wait forever. One that comes after the bound goes
 * straight back to the pool.
 */
export function reserveWithin(sql: Sql, timeoutMs: number): Promise<ReservedSql> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(Object.assign(new Error(`no connection from the pool within ${timeoutMs} ms`), { code: 'CONNECT_TIMEOUT' }));
    }, timeoutMs);
    sql.reserve().then(
      (reserved) => {
        clearTimeout(timer);
        if (late) reserved.release();
        else resolve(reserved);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The pool's use as the dialect counts it. */
export interface PoolCounts {
  inUse: number;
  waiting: number;
}

class PostgresJsDriver implements Driver {
  private readonly sql: Sql;
  private readonly reserveTimeoutMs: number;
  private readonly counts: PoolCounts;

  constructor(sql: Sql, reserveTimeoutMs: number, counts: PoolCounts) {
    this.sql = sql;
    this.reserveTimeoutMs = reserveTimeoutMs;
    this.counts = counts;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    this.counts.waiting++;
    try {
      const reserved = await reserveWithin(this.sql, this.reserveTimeoutMs);
      this.counts.inUse++;
      return new PostgresJsConnection(reserved);
    } finally {
      this.counts.waiting--;
    }
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const modes = [settings.isolationLevel && `isolation level ${settings.isolationLevel}`, settings.accessMode].filter(Boolean);
    (connection as PostgresJsConnection).begin(modes.length > 0 ? `start transaction ${modes.join(' ')}` : 'begin');
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PostgresJsConnection).commit();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PostgresJsConnection).rollback();
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.counts.inUse--;
    (connection as PostgresJsConnection).release();
  }

  async destroy(): Promise<void> {
    await this.sql.end();
  }
}

/** Thrown by a COMMIT that PostgreSQL answered with ROLLBACK: an earlier statement aborted the transaction. */
const aborted = () => new Error('the transaction was aborted and rolled back');

/**
 * Every answer of what was sent together awaited; the first failure in the order sent is thrown,
 * and so is a COMMIT sent last that PostgreSQL answered with ROLLBACK. The answers, in order.
 */
async function inOrder(answers: readonly (Promise<unknown> | null)[]): Promise<unknown[]> {
  const settled = await Promise.allSettled(answers);
  for (const answer of settled) if (answer.status === 'rejected') throw answer.reason;
  const values = settled.map((answer) => (answer as PromiseFulfilledResult<unknown>).value);
  if (answers.at(-1) !== null && values.at(-1) === 'ROLLBACK') throw aborted();
  return values;
}

class PostgresJsConnection implements DatabaseConnection {
  private readonly reserved: ReservedSql;
  /** The BEGIN sent and not yet awaited: the first statement of the transaction awaits it. */
  private begun: Promise<string> | null = null;
  /** Whether the transaction's COMMIT went out with its last statement. */
  private committed = false;

  constructor(reserved: ReservedSql) {
    this.reserved = reserved;
  }

  begin(statement: string): void {
    this.committed = false;
    this.begun = this.send(statement);
    this.begun.catch(() => {}); // awaited, and thrown, by the first statement
  }

  async commit(): Promise<void> {
    const begun = this.takeBegun();
    if (begun) await begun;
    if (this.committed) return;
    // PostgreSQL answers COMMIT with ROLLBACK when an earlier statement aborted the transaction.
    if ((await this.send('commit')) === 'ROLLBACK') throw aborted();
  }

  async rollback(): Promise<void> {
    await this.takeBegun()?.catch(() => {});
    if (!this.committed) await this.send('rollback');
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    if (compiled.sql.startsWith(COPY_FROM_STDIN)) return this.copyIn(compiled);
    const begun = this.takeBegun();
    const query = this.reserved.unsafe(compiled.sql, compiled.parameters as never[], { prepare: true }).execute();
    const commit = this.commitBehind(compiled.sql.startsWith(THEN_COMMIT));
    const result = (await inOrder([begun, query, commit]))[1] as Awaited<typeof query>;
    const changes = result.command === 'INSERT' || result.command === 'UPDATE' || result.command === 'DELETE' || result.command === 'MERGE';
    return { rows: [...result] as R[], ...(changes ? { numAffectedRows: BigInt(result.count) } : {}) };
  }

  /** The statements of a COPY_FROM_STDIN query, each sent with its data, and the COMMIT behind them where it says so. */
  private async copyIn<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const begun = this.takeBegun();
    const copies = (compiled.parameters as readonly CopyIn[]).map(({ statement, data }) =>
      this.reserved.unsafe(statement, [], { copyData: data } as never).execute());
    const commit = this.commitBehind(compiled.sql.startsWith(`${COPY_FROM_STDIN} ${THEN_COMMIT}`));
    await inOrder([begun, ...copies, commit]);
    return { rows: [] };
  }

  /** The COMMIT, sent now behind what was sent, where `now`; its answer is checked by `inOrder`. */
  private commitBehind(now: boolean): Promise<string> | null {
    if (!now) return null;
    this.committed = true;
    return this.send('commit');
  }

  /**
   * A COPY TO STDOUT (COPY_TO_STDOUT), read only as fast as the caller takes it. Stopped before
   * its end, the statement is cancelled (the protocol's cancel request: no role needed; the
   * driver's patch keeps a COPY cancellable) and the rest of its answer read, so that the
   * connection is idle again when it goes back. The cancel is awaited until PostgreSQL has taken
   * it (the patch's promise): a COPY that ended by itself meanwhile would otherwise see the
   * request arrive during the connection's next statement, and cancel that (seen under load).
   * Nothing else streams: page instead.
   */
  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    if (!compiled.sql.startsWith(COPY_TO_STDOUT)) throw new Error('streaming queries is not supported: page instead');
    await this.takeBegun();
    const query = this.reserved.unsafe(compiled.sql);
    const stream = await query.readable();
    try {
      for await (const chunk of stream.iterator({ destroyOnReturn: false })) yield { rows: [chunk as R] };
    } finally {
      if (!stream.readableEnded && !stream.destroyed) {
        // Listened to first: the cancel's error may end the stream while the cancel is awaited,
        // and a stream's error with no listener is an uncaught exception.
        const ended = finished(stream).catch(() => {});
        await Promise.resolve(query.cancel() as unknown).catch(() => {}); // the patch returns its promise; not taken, the rest is read
        stream.resume();
        await ended;
      }
    }
  }

  /** Sends a statement of no parameters now; its command tag. */
  private async send(statement: string): Promise<string> {
    return (await this.reserved.unsafe(statement, [], { prepare: true }).execute()).command;
  }

  private takeBegun(): Promise<string> | null {
    const begun = this.begun;
    this.begun = null;
    return begun;
  }

  release(): void {
    this.reserved.release();
  }
}
