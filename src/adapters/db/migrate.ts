import type { Database } from './database.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

const MIGRATION_LOCK = 7_400_001;

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * Applies, in order and each in its own transaction, the migrations not yet recorded in
 * `schema_migrations`. An advisory lock lets several processes start at once.
 */
export async function migrate(database: Database, migrations: readonly Migration[]): Promise<Migration[]> {
  return database.asOwner(async (run) => {
    await run(`select pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      await run(`create table if not exists schema_migrations (
        version integer primary key, name text not null, applied_at timestamptz not null default clock_timestamp())`);
      const rows = await run('select version from schema_migrations');
      const applied = new Set(rows.map((row) => Number(row.version)));
      const pending = [...migrations].sort((a, b) => a.version - b.version).filter((m) => !applied.has(m.version));
      for (const migration of pending) {
        try {
          await run(`begin;
${migration.sql}
;
insert into schema_migrations (version, name) values (${migration.version}, ${quote(migration.name)});
commit;`);
        } catch (error) {
          await run('rollback').catch(() => {});
          throw new Error(`migration ${migration.version}_${migration.name} failed: ${(error as Error).message}`, { cause: error });
        }
      }
      return pending;
    } finally {
      await run(`select pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  });
}
