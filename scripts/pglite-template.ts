// Makes the template a new embedded database starts from (src/adapters/db/pglite-template.ts):
// a PGlite data directory made by initdb (or copied from an older template that these migrations
// extend), migrated, trimmed of what a database copied from it never uses, and closed.
// `npm install` runs it; it never fails the install: without a template, a first start makes
// one, only slower.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from '../src/adapters/db/migrate.ts';
import { readFunctionFiles, readMigrations } from '../src/adapters/db/migrations-dir.ts';
import { openPglite } from '../src/adapters/db/pglite.ts';
import { baseTemplate, dataDirCopy, isDataDir, keepRecipe, keepTemplate, templatePath, trimTemplate } from '../src/adapters/db/pglite-template.ts';
import { SQL_DIR } from '../src/entry/open-database.ts';

/** Makes the template unless it is there: the path, and whether it was made now. */
async function makeTemplate(): Promise<{ path: string; made: boolean }> {
  const [migrations, functions] = await Promise.all([readMigrations(SQL_DIR), readFunctionFiles(SQL_DIR)]);
  const path = await templatePath(migrations, functions);
  if (isDataDir(path)) {
    await keepRecipe(path, migrations);
    return { path, made: false };
  }
  const dir = await mkdtemp(join(tmpdir(), 'ledger-template-'));
  try {
    const dataDir = join(dir, 'data');
    const base = await baseTemplate(path, migrations);
    const database = await openPglite(dataDir, base !== undefined ? dataDirCopy(base, dataDir) : undefined);
    await migrate(database, migrations, functions);
    await database.asOwner(trimTemplate);
    await database.close();
    await keepTemplate(path, dataDir, migrations);
    return { path, made: true };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

try {
  const { path, made } = await makeTemplate();
  console.log(`pglite-template: ${path}${made ? '' : ' (made before)'}`);
} catch (error) {
  console.warn(`pglite-template: no template made (a first start of the embedded database will run initdb): ${String(error)}`);
}
