import postgres from 'postgres';
import type { Database, OwnerRun } from '../../src/adapters/db/database.ts';
import { openDatabase } from '../../src/entry/open-database.ts';

/** A database no other suite uses, migrated, for tests that change the whole database. */
export interface PrivateDatabase {
  readonly database: Database;
  dispose(): Promise<void>;
}

/**
 * Like DATABASES, but each `open` gives a fresh database: PGlite in memory, or a new PostgreSQL
 * database beside DATABASE_URL's (its user may create databases). `prepare` runs as the owner
 * before the run-time pool first connects; `databaseSettings` become the database's defaults.
 */
export const PRIVATE_DATABASES: readonly {
  readonly name: 'pglite' | 'postgres';
  open(options?: { prepare?: (run: OwnerRun) => Promise<unknown>; databaseSettings?: Record<string, string> }): Promise<PrivateDatabase>;
}[] = [
  {
    name: 'pglite',
    async open(options = {}) {
      const database = await openDatabase({ dataDir: 'memory://' });
      // PGlite is one session: session settings reach the run-time role too.
      await database.asOwner(async (run) => {
        await options.prepare?.(run);
        for (const [name, value] of Object.entries(options.databaseSettings ?? {})) await run(`set ${name} = ${value}`);
      });
      return { database, dispose: () => database.close() };
    },
  },
  ...(process.env.DATABASE_URL ? [{
    name: 'postgres' as const,
    async open(options: { prepare?: (run: OwnerRun) => Promise<unknown>; databaseSettings?: Record<string, string> } = {}) {
      const empty = await emptyPostgresDatabase();
      const database = await openDatabase({ databaseUrl: empty.url });
      await database.asOwner(async (run) => {
        await options.prepare?.(run);
        for (const [setting, value] of Object.entries(options.databaseSettings ?? {})) await run(`alter database ${empty.name} set ${setting} = ${value}`);
      });
      return {
        database,
        async dispose() {
          await database.close();
          await empty.drop();
        },
      };
    },
  }] : []),
];

/**
 * A new, empty database beside DATABASE_URL's (which must be set), for a server of its own to
 * migrate and use: its URL, and `drop` for afterwards (it ends any session still open on it).
 */
export async function emptyPostgresDatabase(): Promise<{ readonly name: string; readonly url: string; drop(): Promise<void> }> {
  const url = new URL(process.env.DATABASE_URL!);
  const name = `ledger_private_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  const admin = postgres(url.href, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.href,
    async drop() {
      await admin.unsafe(`drop database ${name} with (force)`);
      await admin.end();
    },
  };
}
