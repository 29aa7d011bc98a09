import { fileURLToPath } from 'node:url';
import type { FunctionFile, Migration } from '../adapters/db/migrate.ts';
import { readFunctionFiles, readMigrations } from '../adapters/db/migrations-dir.ts';
import { baseTemplate, dataDirCopy, isDataDir, templatePath } from '../adapters/db/pglite-template.ts';
import { PgliteThread } from '../adapters/db/pglite-worker.ts';

// The first steps of opening the embedded database, which a start takes before it loads the
// service's modules (src/entry/node.ts): PGlite's thread copies the template and opens the
// database while the main thread loads the rest. This module loads nothing else: not Kysely,
// not the HTTP layer.

export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));
/** DATA_DIR's value for a database kept in memory only. */
const IN_MEMORY = 'memory://';

/** The migrations and the SQL functions of `sql/`. */
export async function readSql(): Promise<{ migrations: Migration[]; functions: FunctionFile[] }> {
  const [migrations, functions] = await Promise.all([readMigrations(SQL_DIR), readFunctionFiles(SQL_DIR)]);
  return { migrations, functions };
}

/** The embedded database's thread, started, with what opening it needs next (open-database.ts). */
export interface EmbeddedStart {
  readonly thread: PgliteThread;
  /** Undefined: in memory. */
  readonly dataDir: string | undefined;
  readonly migrations: readonly Migration[];
  readonly functions: readonly FunctionFile[];
  /** Where the template for these migrations and functions is (or is to be), when the database is new. */
  readonly template: string | undefined;
  /** Whether the new database is a copy of that template: migrated already. */
  readonly fromTemplate: boolean;
}

/**
 * Starts PGlite's thread on `dataDir` (`memory://`: in memory). A new database is copied by the
 * thread from the template that `npm install` made, when it matches these very migrations and
 * functions (the template's name is their hash); else from an older template that they extend
 * (`baseTemplate`), to be migrated; else the thread runs initdb.
 */
export async function startEmbedded(dataDir: string): Promise<EmbeddedStart> {
  const dir = dataDir === IN_MEMORY ? undefined : dataDir;
  const { migrations, functions } = await readSql();
  const template = dir !== undefined && !isDataDir(dir) ? await templatePath(migrations, functions) : undefined;
  const fromTemplate = template !== undefined && isDataDir(template);
  const source = fromTemplate ? template : template !== undefined ? await baseTemplate(template, migrations).catch(() => undefined) : undefined;
  const thread = new PgliteThread(dir, source !== undefined ? dataDirCopy(source, dir!) : undefined);
  return { thread, dataDir: dir, migrations, functions, template, fromTemplate };
}
