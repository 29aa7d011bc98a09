import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '../app/database-availability.ts';
import type { Database } from '../adapters/db/database.ts';
import { isDatabaseUnavailable } from '../adapters/db/errors.ts';
import { migrate } from '../adapters/db/migrate.ts';
import { keepTemplate, trimTemplate } from '../adapters/db/pglite-template.ts';
import { openPgliteOn } from '../adapters/db/pglite.ts';
import { readSql, startEmbedded, type EmbeddedStart } from './embedded-start.ts';

export { SQL_DIR } from './embedded-start.ts';

/**
 * PostgreSQL when a URL is given, else PGlite under `dataDir` (in memory for `memory://`);
 * migrated, then acting as the run-time role that may only read and insert. The statement
 * timeout holds on PostgreSQL only: PGlite, in-process WebAssembly, has no timer to cancel with.
 * On PostgreSQL, `synchronous_commit = off` is overridden to `on`: a 201 must survive a crash.
 * The PostgreSQL driver's modules are loaded only then: an embedded start does without them.
 * `started`: the embedded database's thread, started already (embedded-start.ts).
 */
export async function openDatabase(
  options: { databaseUrl?: string | undefined; dataDir?: string | undefined; statementTimeoutMs?: number }, started?: Promise<EmbeddedStart>,
): Promise<Database> {
  const { database, migrations, functions, keepAsTemplate, upToDate } = options.databaseUrl
    ? { ...await readSql(), database: await (await import('../adapters/db/postgres.ts')).openPostgres(options.databaseUrl, { statementTimeoutMs: options.statementTimeoutMs, ensureSynchronousCommit: true, keepStatistics: true }), keepAsTemplate: undefined, upToDate: false }
    : await openEmbedded(await (started ?? startEmbedded(options.dataDir ?? 'memory://')));
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
 * PGlite on the thread `start` began (a new database copied from the template, `upToDate`, or
 * from an older one, or made by initdb). A new database not copied from its template is, once
 * migrated and before anything else is written to it, kept as the template for the next
 * (`keepAsTemplate`): best effort, as node_modules may be read-only.
 */
async function openEmbedded(start: EmbeddedStart) {
  const { thread, dataDir, migrations, functions, template, fromTemplate } = start;
  const database = await openPgliteOn(thread);
  const keepAsTemplate = template !== undefined && !fromTemplate
    ? () => database.asOwner(async (run) => {
      await trimTemplate(run);
      await run('checkpoint'); // the files hold everything, and nothing writes while they are copied
      await keepTemplate(template, dataDir!, migrations);
    }).catch(() => {})
    : undefined;
  return { database, migrations, functions, keepAsTemplate, upToDate: fromTemplate };
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
  log: (line: Record<string, unknown>) => void, started?: Promise<EmbeddedStart>,
): Promise<Database> {
  const deadlineMs = Date.now() + options.databaseWaitS * 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await openDatabase(options, started);
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
