import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describeError } from '../app/database-availability.ts';
import type { Database } from '../adapters/db/database.ts';
import { isDatabaseUnavailable } from '../adapters/db/errors.ts';
import { migrate, type FunctionFile, type Migration } from '../adapters/db/migrate.ts';
import { baseTemplate, dataDirCopy, isDataDir, keepTemplate, templatePath } from '../adapters/db/pglite-template.ts';
import { readFunctionFiles, readMigrations } from '../adapters/db/migrations-dir.ts';
import { openPglite } from '../adapters/db/pglite.ts';

export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));

/**
 * PostgreSQL when a URL is given, else PGlite under `dataDir` (in memory for `memory://`);
 * migrated, then acting as the run-time role that may only read and insert. The statement
 * timeout holds on PostgreSQL only: PGlite, in-process WebAssembly, has no timer to cancel with.
 * On PostgreSQL, `synchronous_commit = off` is overridden to `on`: a 201 must survive a crash.
 * The PostgreSQL driver's modules are loaded only then: an embedded start does without them.
 */
export async function openDatabase(options: { databaseUrl?: string | undefined; dataDir?: string | undefined; statementTimeoutMs?: number }): Promise<Database> {
  const [migrations, functions] = await Promise.all([readMigrations(SQL_DIR), readFunctionFiles(SQL_DIR)]);
  const { database, keepAsTemplate, upToDate } = options.databaseUrl
    ? { database: await (await import('../adapters/db/postgres.ts')).openPostgres(options.databaseUrl, { statementTimeoutMs: options.statementTimeoutMs, ensureSynchronousCommit: true }), keepAsTemplate: undefined, upToDate: false }
    : await openEmbedded(options.dataDir === 'memory://' ? undefined : options.dataDir, migrations, functions);
  try {
    if (!upToDate) await migrate(database, migrations, functions);
    await keepAsTemplate?.();
    await database.actAsAppRole();
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/**
 * PGlite under `dataDir`; a new one copied from the template that `npm install` made, when it
 * matches (then `upToDate`: the template's name is the hash of these very migrations and
 * functions). A new one without a matching template (`sql/` changed since) is copied from an
 * older template that these migrations extend (`baseTemplate`), else made by initdb; once
 * migrated, before anything else is written to it, `keepAsTemplate` keeps a copy of it as the
 * template for the next: best effort, as node_modules may be read-only.
 */
async function openEmbedded(
  dataDir: string | undefined, migrations: readonly Migration[], functions: readonly FunctionFile[],
): Promise<{ database: Database; keepAsTemplate: (() => Promise<void>) | undefined; upToDate: boolean }> {
  const path = dataDir !== undefined && !isDataDir(dataDir) ? await templatePath(migrations, functions) : undefined;
  const fromTemplate = path !== undefined && isDataDir(path);
  const source = fromTemplate ? path : path !== undefined ? await baseTemplate(path, migrations).catch(() => undefined) : undefined;
  // PGlite's thread copies the template, while this thread loads the service's modules.
  const database = await openPglite(dataDir, source !== undefined ? dataDirCopy(source, dataDir!) : undefined);
  const keepAsTemplate = path !== undefined && !fromTemplate
    ? () => database.asOwner(async (run) => {
      await run('checkpoint'); // the files hold everything, and nothing writes while they are copied
      await keepTemplate(path, dataDir!, migrations);
    }).catch(() => {})
    : undefined;
  return { database, keepAsTemplate, upToDate: fromTemplate };
}

/** The first pause between tries when PostgreSQL does not answer at start, doubled each time up to the last. */
const WAIT_PAUSES_MS = { first: 250, last: 5000 } as const;

/**
 * `openDatabase`, tried again while PostgreSQL does not answer (refused, starting up, shutting
 * down, out of connections), with a doubling pause, each try logged, for at most `databaseWaitS`
 * seconds; then it fails with the last error. Any other error (a wrong password, a failed
 * migration) fails at once.
 */
export async function openDatabaseWhenReachable(
  options: { databaseUrl?: string | undefined; dataDir?: string | undefined; statementTimeoutMs?: number; databaseWaitS: number },
  log: (line: Record<string, unknown>) => void,
): Promise<Database> {
  const deadlineMs = Date.now() + options.databaseWaitS * 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await openDatabase(options);
    } catch (error) {
      if (!options.databaseUrl || !causes(error).some(isDatabaseUnavailable)) throw error;
      const leftMs = deadlineMs - Date.now();
      if (leftMs <= 0) {
        throw new Error(`PostgreSQL did not answer within LEDGER_DB_WAIT_S=${options.databaseWaitS} s (${attempt} tries); the last error: ${describeError(error)}`, { cause: error });
      }
      const pauseMs = Math.min(WAIT_PAUSES_MS.first * 2 ** (attempt - 1), WAIT_PAUSES_MS.last, leftMs);
      log({ msg: 'waiting for PostgreSQL', attempt, error: describeError(error), retryInMs: pauseMs, giveUpInS: Math.ceil(leftMs / 1000) });
      await sleep(pauseMs);
    }
  }
}

/** An error and the errors it wraps (a failed migration wraps the driver's). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && chain.length < 10; e = (e as { cause?: unknown } | null)?.cause) chain.push(e);
  return chain;
}
