import { fileURLToPath } from 'node:url';
import type { Database } from '../adapters/db/database.ts';
import { migrate } from '../adapters/db/migrate.ts';
import { readMigrations } from '../adapters/db/migrations-dir.ts';
import { openPglite } from '../adapters/db/pglite.ts';
import { openPostgres } from '../adapters/db/postgres.ts';

export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/**
 * PostgreSQL when a URL is given, else PGlite under `dataDir` (in memory for `memory://`);
 * migrated, then acting as the run-time role that may only read and insert. The statement
 * timeout holds on PostgreSQL only: PGlite, in-process WebAssembly, has no timer to cancel with.
 * On PostgreSQL, `synchronous_commit = off` is overridden to `on`: a 201 must survive a crash.
 */
export async function openDatabase(options: { databaseUrl?: string | undefined; dataDir?: string | undefined; statementTimeoutMs?: number }): Promise<Database> {
  const database = options.databaseUrl
    ? await openPostgres(options.databaseUrl, { statementTimeoutMs: options.statementTimeoutMs, ensureSynchronousCommit: true })
    : await openPglite(options.dataDir === 'memory://' ? undefined : options.dataDir);
  try {
    await migrate(database, await readMigrations(SQL_DIR));
    await database.actAsAppRole();
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}
