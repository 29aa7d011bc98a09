import {
  CompiledQuery, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler,
  type DatabaseConnection, type Dialect, type Driver, type Kysely, type QueryResult, type TransactionSettings,
} from 'kysely';
import type { ReservedSql, Sql } from 'postgres';

/**
 * Kysely over the `postgres` driver: Kysely's one seam to a driver. Each Kysely connection is a
 * connection reserved from the driver's pool, and every statement is prepared (the driver keeps
 * it per connection). Our own rather than kysely-postgres-js, whose driver inherits Kysely's
 * PostgreSQL rollback: when a rollback fails (the connection is gone) it calls a method that only
 * Kysely's own `pg` connection has, and a lost connection became a 500.
 */
export class PostgresJsDialect implements Dialect {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  createAdapter() {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return new PostgresJsDriver(this.sql);
  }

  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }

  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }
}

class PostgresJsDriver implements Driver {
  private readonly sql: Sql;

  constructor(sql: Sql) {
    this.sql = sql;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new PostgresJsConnection(await this.sql.reserve());
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const modes = [settings.isolationLevel && `isolation level ${settings.isolationLevel}`, settings.accessMode].filter(Boolean);
    await (connection as PostgresJsConnection).run(modes.length > 0 ? `start transaction ${modes.join(' ')}` : 'begin');
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    // PostgreSQL answers COMMIT with ROLLBACK when an earlier statement aborted the transaction.
    if ((await (connection as PostgresJsConnection).run('commit')) === 'ROLLBACK') throw new Error('the transaction was aborted and rolled back');
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PostgresJsConnection).run('rollback');
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as PostgresJsConnection).release();
  }

  async destroy(): Promise<void> {
    await this.sql.end();
  }
}

class PostgresJsConnection implements DatabaseConnection {
  private readonly reserved: ReservedSql;

  constructor(reserved: ReservedSql) {
    this.reserved = reserved;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.reserved.unsafe(compiled.sql, compiled.parameters as never[], { prepare: true });
    const changes = result.command === 'INSERT' || result.command === 'UPDATE' || result.command === 'DELETE' || result.command === 'MERGE';
    return { rows: [...result] as R[], ...(changes ? { numAffectedRows: BigInt(result.count) } : {}) };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries is not supported: page instead');
  }

  /** A statement of no parameters; its command tag. */
  async run(statement: string): Promise<string> {
    return (await this.reserved.unsafe(statement, [], { prepare: true })).command;
  }

  release(): void {
    this.reserved.release();
  }
}
