import { Kysely } from 'kysely';
import { PostgresJSDialect } from 'kysely-postgres-js';
import postgres from 'postgres';
import { APP_ROLE, SESSION_SETTINGS, type Database } from './database.ts';
import type { Tables } from './schema.ts';

const asText = (value: string) => value;

// timestamptz, timestamp and date stay text: a JS Date would drop the microseconds.
const TEXT_TYPES = {
  timestamps: { to: 1184, from: [1082, 1114, 1184], serialize: asText, parse: asText },
};

export interface PostgresOptions {
  /** Connections in the run-time pool. */
  readonly poolSize?: number;
  /** `statement_timeout` of the run-time pool (not of migrations); 0 or absent is none. */
  readonly statementTimeoutMs?: number | undefined;
}

/** PostgreSQL through the `postgres` driver: migrations as the URL's user, run time as `ledger_app`. */
export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Database> {
  const pool = postgres(url, {
    max: options.poolSize ?? 10,
    types: TEXT_TYPES,
    onnotice: () => {},
    connection: { ...SESSION_SETTINGS, role: APP_ROLE, statement_timeout: options.statementTimeoutMs ?? 0 },
  });
  const db = new Kysely<Tables>({ dialect: new PostgresJSDialect({ postgres: pool }) });
  return {
    kind: 'postgres',
    db,
    async asOwner(work) {
      const owner = postgres(url, { max: 1, types: TEXT_TYPES, onnotice: () => {}, connection: SESSION_SETTINGS });
      try {
        return await work(async (script, parameters) => [...(await owner.unsafe(script, parameters as never))] as Record<string, unknown>[]);
      } finally {
        await owner.end();
      }
    },
    async actAsAppRole() {},
    async close() {
      await db.destroy();
    },
  };
}
