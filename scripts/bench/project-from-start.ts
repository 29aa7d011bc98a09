// The balance projector's pace from position 1: empties what its steps build (the balance
// checkpoints, its progress and the reporting schema's dates) in the database at DATABASE_URL, then
// projects every ledger's log in steps of PROJECT_STEP events (default: the projector's), as the
// projector does, and prints events/s. For a log such as scripts/bench/rebuild-fill.ts writes.
//   DATABASE_URL=postgres://... node scripts/bench/project-from-start.ts
import { DEFAULT_CHECKPOINT_EVERY } from '../../src/adapters/db/ledger-store.ts';
import { DEFAULT_PROJECTOR_STEP_EVENTS } from '../../src/app/projector.ts';
import { configFrom } from '../../src/entry/config.ts';
import { openDatabase } from '../../src/entry/open-database.ts';

const STEP = Number(process.env.PROJECT_STEP ?? DEFAULT_PROJECTOR_STEP_EVENTS);
const DERIVED = ['balance_checkpoints', 'balance_tails', 'projector_progress', 'reporting.dates'];

const database = await openDatabase(configFrom(process.env));
try {
  await database.asOwner(async (run) => {
    for (const table of DERIVED) await run(`alter table ${table} disable trigger user; truncate ${table}; alter table ${table} enable trigger user`);
  });
  const ledgers = await database.asOwner((run) => run('select ledger_id, (select max(position) from events e where e.ledger_id = l.ledger_id)::int as head from ledgers_in_log() l'));
  let events = 0;
  const started = performance.now();
  for (const { ledger_id: ledgerId, head } of ledgers) {
    for (let reached = 0; reached < Number(head);) {
      const stepStarted = performance.now();
      const [row] = await database.asOwner((run) => run('select ledger_project($1, $2, $3)::int as reached', [ledgerId, STEP, DEFAULT_CHECKPOINT_EVERY]));
      const to = Number(row!.reached);
      process.stderr.write(`${ledgerId}: ${reached + 1}..${to} in ${(performance.now() - stepStarted).toFixed(0)} ms\n`);
      events += to - reached;
      reached = to;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`projected ${events} events in ${seconds.toFixed(1)} s: ${Math.round(events / seconds)} events/s (steps of ${STEP})`);
} finally {
  await database.close();
}
