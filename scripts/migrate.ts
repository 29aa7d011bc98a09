// Applies the migrations of sql/ to the database of DATABASE_URL (or PGlite under DATA_DIR) and exits.
import { mkdirSync } from 'node:fs';
import { configFrom } from '../src/entry/config.ts';
import { openDatabase } from '../src/entry/open-database.ts';

const config = configFrom(process.env);
if (!config.databaseUrl && config.dataDir !== 'memory://') mkdirSync(config.dataDir, { recursive: true });
const database = await openDatabase(config);
const rows = await database.asOwner((run) => run('select version, name, applied_at from schema_migrations order by version'));
for (const row of rows) console.log(`${String(row.version).padStart(3, '0')} ${row.name} applied ${row.applied_at}`);
await database.close();
