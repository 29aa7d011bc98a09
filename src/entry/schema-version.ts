import type { Database } from '../adapters/db/database.ts';

/**
 * The newest migration the database has recorded, 0 for none; read as the owner, as `ledger_app`
 * may not read schema_migrations. The owner's rows come as text: a boolean is `t` or `f`.
 */
export async function appliedSchemaVersion(database: Database): Promise<number> {
  return database.asOwner(async (run) => {
    const [found] = await run(`select to_regclass('schema_migrations') is not null as found`);
    if (!found?.found || found.found === 'f') return 0;
    const [row] = await run('select coalesce(max(version), 0) as version from schema_migrations');
    return Number(row?.version ?? 0);
  });
}
