import type { Database } from '../../src/adapters/db/database.ts';
import { openDatabase } from '../../src/entry/open-database.ts';

/** The databases every integration and HTTP suite runs on: PGlite always, PostgreSQL when DATABASE_URL is set. */
export const DATABASES: readonly { readonly name: 'pglite' | 'postgres'; readonly open: () => Promise<Database> }[] = [
  { name: 'pglite', open: () => openDatabase({ dataDir: 'memory://' }) },
  ...(process.env.DATABASE_URL ? [{ name: 'postgres' as const, open: () => openDatabase({ databaseUrl: process.env.DATABASE_URL }) }] : []),
];

/** A ledger id no other test uses, so suites can share one PostgreSQL database. */
export function uniqueLedgerId(prefix = 't'): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
