import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseTemplate, copyDataDir, isDataDir, keepRecipe, templatePath } from '../../src/adapters/db/pglite-template.ts';
import { migrate } from '../../src/adapters/db/migrate.ts';
import { openPglite } from '../../src/adapters/db/pglite.ts';
import { readFunctionFiles, readMigrations } from '../../src/adapters/db/migrations-dir.ts';
import { openDatabase, SQL_DIR } from '../../src/entry/open-database.ts';

// A new embedded database is a copy of the template (src/adapters/db/pglite-template.ts), its
// PG_VERSION copied last. A copy cut short (the process killed during it) has none, and the
// next start copies the template again over what it left.

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-template-'));
  dirs.push(dir);
  return join(dir, 'data');
}

/** The migrations a database opened on `dataDir` has applied, and whether it takes a write. */
async function opened(dataDir: string) {
  const database = await openDatabase({ dataDir });
  try {
    const applied = await database.asOwner((run) => run('select count(*)::int as n from schema_migrations'));
    await database.asOwner((run) => run(`insert into ledgers (ledger_id, name, timezone, recorded_at) values ('t', 'T', 'UTC', now())`));
    return Number(applied[0]!.n);
  } finally {
    await database.close();
  }
}

describe('the embedded database template', () => {
  it('starts a new data directory from it, and again over a copy that was cut short', { timeout: 120_000 }, async () => {
    const [migrations, functions] = await Promise.all([readMigrations(SQL_DIR), readFunctionFiles(SQL_DIR)]);
    const path = await templatePath(migrations, functions);
    // `npm install` made the template; a start without one makes it.
    expect(await opened(await freshDir())).toBe(migrations.length);
    expect(isDataDir(path)).toBe(true);

    const cut = await freshDir();
    copyDataDir(path, cut);
    await unlink(join(cut, 'PG_VERSION'));
    await writeFile(join(cut, 'global', 'pg_control'), 'cut short');
    expect(await opened(cut)).toBe(migrations.length);
    expect(isDataDir(cut)).toBe(true);
  });

  it('after a change to sql/, starts from the template the migrations extend, migrated, not from initdb', { timeout: 120_000 }, async () => {
    const [migrations, functions] = await Promise.all([readMigrations(SQL_DIR), readFunctionFiles(SQL_DIR)]);
    const path = await templatePath(migrations, functions);
    expect(await opened(await freshDir())).toBe(migrations.length); // the template, made if missing
    await keepRecipe(path, migrations);
    const changedFunctions = [...functions, { name: 'zz_test_added', sql: 'create or replace function zz_test_added() returns int language sql as $$ select 42 $$;' }];
    const added = { version: 9999, name: 'test_added', sql: 'create table zz_test_added (id int primary key);' };
    const otherPath = await templatePath([...migrations, added], changedFunctions);
    // New migrations and functions start from it (the template with the fewest migrations left,
    // though an older one made before the last migrations, in a checkout's cache, also fits);
    // a migration changed since it was made, or one it has that the list lacks, rules it out.
    expect(await baseTemplate(otherPath, [...migrations, added])).toBe(path);
    const edited = migrations.map((m, i) => (i === migrations.length - 1 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
    expect(await baseTemplate(otherPath, edited)).not.toBe(path);
    expect(await baseTemplate(otherPath, migrations.slice(0, -1))).not.toBe(path);

    const dataDir = await freshDir();
    copyDataDir(path, dataDir);
    const database = await openPglite(dataDir);
    try {
      const applied = await migrate(database, [...migrations, added], changedFunctions);
      expect(applied.migrations.map((m) => m.version)).toEqual([9999]);
      expect(applied.functions.map((f) => f.name)).toEqual(['zz_test_added']);
      expect(await database.asOwner((run) => run('select zz_test_added() as n'))).toEqual([{ n: 42 }]);
    } finally {
      await database.close();
    }
  });
});
