// Drops every derived table's contents (the read models) and rebuilds them from position 1 of
// the log, with a progress bar on stderr. Uses DATABASE_URL, else PGlite under DATA_DIR.
//   npm run rebuild
import { rebuildProjections } from '../src/adapters/db/rebuild.ts';
import { configFrom } from '../src/entry/config.ts';
import { openDatabase } from '../src/entry/open-database.ts';
import { progressBar, type ProgressBar } from './progress-bar.ts';

let bar: ProgressBar | undefined;
const progress = (done: number, total: number) => (bar ??= progressBar('rebuilding (events)', total)).update(done);

const config = configFrom(process.env);
const database = await openDatabase(config);
try {
  const started = performance.now();
  const events = await rebuildProjections(database, progress);
  bar?.finish();
  console.log(`rebuilt the read models from ${events} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await database.close();
}
