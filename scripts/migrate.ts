// Applies the migrations of sql/ to the database of DATABASE_URL (or PGlite under DATA_DIR) and exits.
import { mkdirSync } from 'node:fs';
import { configFrom } from '../src/entry/config.ts';
import { openDatabase } from '../src/entry/open-database.ts';

const config = configFrom(process.env);
if (!config.databaseUrl && config.dataDir !== 'memory://') mkdirSync(config.dataDir, { recursive: true });
const database = await openDatabase(config);
const [migrations, functions] = await database.asOwner(async (run) => [
  await run('select version, name, applied_at from schema_migrations order by version'),
  await run('select distinct on (name) name, checksum, applied_at from schema_functions order by name, applied_at desc'),
]);
for (const row of migrations!) console.log(`${String(row.version).padStart(3, '0')} ${row.name} applied ${row.applied_at}`);
for (const row of functions!) console.log(`functions/${row.name}.sql (sha256 ${String(row.checksum).slice(0, 12)}) applied ${row.applied_at}`);
await database.close();
