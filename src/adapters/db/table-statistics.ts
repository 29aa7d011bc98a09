import type { Database } from './database.ts';

// PGlite has no autovacuum, so nothing runs ANALYZE: the planner goes on taking the tables for
// the template's empty ones, and the plans that plpgsql functions keep scan what grows. On a new
// embedded database under 16 writers, the projector's fold cost 0.56 ms of PGlite's thread per
// event at 2,000 events and 4 ms at 7,000; with an ANALYZE every few seconds it stayed at 0.35
// to 0.5 ms (and the writes went 197-220 -> 337 tx/s over 30 s, same sitting).
// On PostgreSQL, autovacuum looks once a minute: a ledger loaded by batches in seconds is taken
// for none until then. The bench's first statement page right after its 100,000-posting load: a
// p50 of 30.6-35.9 ms without this, 7.6 ms with it (one run each way; 7.0 ms in a run whose
// loads had left autovacuum its minute).

/** How often the service looks for tables grown since their statistics were taken. */
export const STATISTICS_EVERY_MS = 10_000;

/**
 * The service's tables (and partitions): `grown`, those whose size grew by a tenth and 8 pages
 * since their last ANALYZE (`relpages` is as it left it; 0 before any), autovacuum's rule of
 * thumb for analyzing; `unmarked`, those with more than 128 pages and a fiftieth of them not yet
 * marked all-visible (`relallvisible`, as the last VACUUM or ANALYZE counted it).
 */
const TABLES_TO_LOOK_AT = `
  select t.name, t.pages > t.relpages * 1.1 + 8 as grown, t.pages - t.relallvisible > 128 + t.pages / 50 as unmarked
    from (select format('%I.%I', n.nspname, c.relname) as name, c.relkind, c.relpages, c.relallvisible,
                 pg_relation_size(c.oid) / current_setting('block_size')::int as pages
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')) t
   where t.pages > t.relpages * 1.1 + 8 or (t.relkind = 'r' and t.pages - t.relallvisible > 128 + t.pages / 50)`;

/**
 * Keeps the database's statistics and visibility map current, as autovacuum would, only sooner:
 * every `everyMs`, a VACUUM of the tables with many pages not marked all-visible, then an ANALYZE
 * of the tables grown since theirs (a few hundred milliseconds at most; on PGlite it takes turns
 * with the other statements on its one connection). Index-only scans (a balance's day of
 * postings, sql/025) read the heap row of every page not so marked, and only VACUUM marks them:
 * autovacuum, after a fifth of a table is new and within a minute, PGlite's never. Best effort:
 * a failed look is tried again at the next. `stop` waits for the one in progress.
 */
export function keepStatistics(asOwner: Database['asOwner'], everyMs = STATISTICS_EVERY_MS): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout;
  const look = () => {
    running = asOwner(async (run) => {
      const tables = await run(TABLES_TO_LOOK_AT);
      const names = (which: 'grown' | 'unmarked') => tables.filter((table) => table[which] === true).map((table) => String(table.name)).join(', ');
      if (names('unmarked')) await run(`vacuum ${names('unmarked')}`);
      if (names('grown')) await run(`analyze ${names('grown')}`);
    }).catch(() => {}).then(() => {
      if (!stopped) timer = setTimeout(look, everyMs).unref();
    });
  };
  timer = setTimeout(look, everyMs).unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
