import type { Database, OwnerRun } from './database.ts';
import { DEFAULT_CHECKPOINT_EVERY } from './ledger-store.ts';
import { PROJECTION_TABLES } from './projection.ts';

/** Events folded per page: one insert per read model and one projector step. */
const PAGE = 10_000;

/** Every table the rebuild empties: the read models, the balance checkpoints and their tallies, the projector's progress, the reporting schema's date dimension (its other tables are views, sql/023). */
const DERIVED_TABLES = [...PROJECTION_TABLES, 'balance_checkpoints', 'balance_tails', 'projector_progress', 'reporting.dates'];

/**
 * The read models' indexes that the projector's step reads through (ledger_project.sql: an
 * account's posted postings by position); the others are dropped while the tables fill and made
 * again at the end, in one sorted pass each rather than one insertion per row.
 */
const INDEXES_THE_FOLD_READS = ['postings_by_account_status'];

/**
 * Drops the contents of every derived table (the read models, the balance checkpoints, the
 * projector's progress and the reporting schema's dates) and folds the log into them again from position 1, ledger by ledger, in
 * one transaction as the owner: readers see the old answers or the new, which are the same.
 * Each page of events goes to the read models in the database (ledger_read_models, the SQL twin of
 * projection.ts: the events never travel), then through the projector's step. `onProgress` hears
 * the events done out of all.
 */
export async function rebuildProjections(
  database: Database, onProgress: (done: number, total: number) => void = () => {}, checkpointEvery = DEFAULT_CHECKPOINT_EVERY,
): Promise<number> {
  return database.asOwner(async (run) => {
    await run('begin');
    try {
      // The append-only triggers also refuse TRUNCATE: lift them for this transaction only.
      for (const table of DERIVED_TABLES) {
        await run(`alter table ${table} disable trigger user; truncate ${table}; alter table ${table} enable trigger user`);
      }
      // The truncates hold every derived table's lock to the commit: dropping indexes blocks no one more.
      const dropped = await dropIndexes(run, PROJECTION_TABLES, INDEXES_THE_FOLD_READS);
      const ledgers = (await run('select ledger_id, (select max(e.position) from events e where e.ledger_id = l.ledger_id) as head from ledgers_in_log() l'))
        .map((r) => ({ ledgerId: String(r.ledger_id), head: Number(r.head) }));
      const total = ledgers.reduce((sum, l) => sum + l.head, 0);
      let done = 0;
      onProgress(done, total);
      for (const { ledgerId, head } of ledgers) {
        for (let after = 0; after < head; after += PAGE) {
          const upto = Math.min(head, after + PAGE);
          await run('select ledger_read_models($1, $2, $3)', [ledgerId, after, upto]);
          // The balance checkpoints and the reporting schema's dates of the same events.
          await run('select ledger_project($1, $2, $3)', [ledgerId, upto - after, checkpointEvery]);
          done += upto - after;
          onProgress(done, total);
        }
      }
      for (const definition of dropped) await run(definition);
      await run('commit');
      return done;
    } catch (error) {
      await run('rollback').catch(() => {});
      throw error;
    }
  });
}

/** Drops the tables' indexes that back no constraint, but those kept: the statements that make them again. */
async function dropIndexes(run: OwnerRun, tables: readonly string[], keep: readonly string[]): Promise<string[]> {
  const indexes = await run(`
    select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition
      from pg_index i
     where i.indrelid = any($1::regclass[])
       and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)
       and not (i.indexrelid::regclass::text = any($2::text[]))`, [tables, keep]);
  for (const index of indexes) await run(`drop index ${String(index.name)}`);
  return indexes.map((index) => String(index.definition));
}
