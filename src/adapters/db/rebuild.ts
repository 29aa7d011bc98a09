import type { RecordedEvent } from '../../domain/events.ts';
import { insertRowsStatement } from './append-sql.ts';
import type { Database } from './database.ts';
import { DEFAULT_CHECKPOINT_EVERY, fromEventRow } from './ledger-store.ts';
import { emptyProjectionRows, project, PROJECTION_TABLES } from './projection.ts';

const PAGE = 2000;

/** The reporting schema's tables and its progress (sql/019): derived state, folded by ledger_project. */
const REPORTING_TABLES = ['reporting.postings', 'reporting.accounts', 'reporting.dates', 'reporting.ledgers', 'reporting_progress'];

/**
 * Drops the contents of every derived table (the read models, the balance checkpoints, the
 * projector's progress and the reporting schema) and folds the log into them again from position 1, ledger by ledger, in
 * one transaction as the owner: readers see the old answers or the new, which are the same.
 * `onProgress` hears the events done out of all.
 */
export async function rebuildProjections(
  database: Database, onProgress: (done: number, total: number) => void = () => {}, checkpointEvery = DEFAULT_CHECKPOINT_EVERY,
): Promise<number> {
  return database.asOwner(async (run) => {
    await run('begin');
    try {
      // The append-only triggers also refuse TRUNCATE: lift them for this transaction only.
      // The balance checkpoints (sql/009), the projector's progress (sql/013) and the reporting
      // schema (sql/019, which the projector's step below fills again) go too.
      for (const table of [...PROJECTION_TABLES, 'balance_checkpoints', 'projector_progress', ...REPORTING_TABLES]) {
        await run(`alter table ${table} disable trigger user; truncate ${table}; alter table ${table} enable trigger user`);
      }
      const total = Number((await run('select count(*) as n from events'))[0]!.n);
      const ledgers = (await run('select ledger_id from ledgers_in_log()')).map((r) => String(r.ledger_id));
      let done = 0;
      onProgress(done, total);
      for (const ledgerId of ledgers) {
        for (let after = 0; ;) {
          const rows = await run(
            'select * from events where ledger_id = $1 and position > $2 order by position limit $3', [ledgerId, after, PAGE]);
          const events: RecordedEvent[] = rows.map((r) => fromEventRow(r as Parameters<typeof fromEventRow>[0]));
          const statement = insertRowsStatement(events.reduce(project, emptyProjectionRows()));
          if (statement) {
            const compiled = statement.compile(database.db);
            await run(compiled.sql, compiled.parameters);
          }
          // The projector's step over the same events: their balance checkpoints.
          await run('select ledger_project($1, $2, $3)', [ledgerId, events.length, checkpointEvery]);
          done += events.length;
          onProgress(done, total);
          if (events.length < PAGE) break;
          after = events.at(-1)!.position;
        }
      }
      await run('commit');
      return done;
    } catch (error) {
      await run('rollback').catch(() => {});
      throw error;
    }
  });
}
