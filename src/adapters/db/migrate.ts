import { createHash } from 'node:crypto';
import type { Database, OwnerRun } from './database.ts';

/** A numbered migration of `sql/`: tables, indexes, triggers, grants. Applied once, in order. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** A file of `sql/functions/`: SQL functions, applied again whenever the file changes. */
export interface FunctionFile {
  readonly name: string;
  readonly sql: string;
}

export interface Applied {
  readonly migrations: readonly Migration[];
  readonly functions: readonly FunctionFile[];
}

const MIGRATION_LOCK = 7_400_001;

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

const checksumOf = (file: FunctionFile) => createHash('sha256').update(file.sql, 'utf8').digest('hex');

/**
 * Brings the database up to date, under an advisory lock so that several processes can start at
 * once. First the SQL functions of `sql/functions/` whose file is new or changed since it was
 * last applied (Flyway's repeatable migrations; `schema_functions` keeps a row per application), with
 * their bodies unchecked so that they may name tables a migration below creates; then, in order
 * and each in its own transaction, the numbered migrations not yet in `schema_migrations`.
 * Numbered migrations never define functions, and the trigger function they use exists by then.
 */
export async function migrate(database: Database, migrations: readonly Migration[], functions: readonly FunctionFile[] = []): Promise<Applied> {
  return database.asOwner(async (run) => {
    await run(`select pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      return { functions: await applyFunctions(run, functions), migrations: await applyMigrations(run, migrations) };
    } finally {
      await run(`select pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  });
}

async function applyFunctions(run: OwnerRun, functions: readonly FunctionFile[]): Promise<FunctionFile[]> {
  await run(`create table if not exists schema_functions (
    name text not null, checksum text not null, applied_at timestamptz not null default clock_timestamp(),
    primary key (name, applied_at))`);
  const rows = await run('select distinct on (name) name, checksum from schema_functions order by name, applied_at desc');
  const current = new Map(rows.map((row) => [String(row.name), String(row.checksum)]));
  const changed = [...functions].sort((a, b) => a.name.localeCompare(b.name)).filter((c) => current.get(c.name) !== checksumOf(c));
  for (const file of changed) {
    await inTransaction(run, `functions/${file.name}.sql`, `set local check_function_bodies = off;
${file.sql}
;
insert into schema_functions (name, checksum) values (${quote(file.name)}, ${quote(checksumOf(file))});`);
  }
  return changed;
}

async function applyMigrations(run: OwnerRun, migrations: readonly Migration[]): Promise<Migration[]> {
  await run(`create table if not exists schema_migrations (
    version integer primary key, name text not null, applied_at timestamptz not null default clock_timestamp())`);
  const rows = await run('select version from schema_migrations');
  const applied = new Set(rows.map((row) => Number(row.version)));
  const pending = [...migrations].sort((a, b) => a.version - b.version).filter((m) => !applied.has(m.version));
  for (const migration of pending) {
    await inTransaction(run, `migration ${migration.version}_${migration.name}`, `${migration.sql}
;
insert into schema_migrations (version, name) values (${migration.version}, ${quote(migration.name)});`);
  }
  return pending;
}

async function inTransaction(run: OwnerRun, what: string, script: string): Promise<void> {
  try {
    await run(`begin;\n${script}\ncommit;`);
  } catch (error) {
    await run('rollback').catch(() => {});
    throw new Error(`${what} failed: ${(error as Error).message}`, { cause: error });
  }
}
