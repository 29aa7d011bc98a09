/** Where the embedded database is kept when DATA_DIR does not say. */
export const DEFAULT_DATA_DIR = './data';

/**
 * The embedded database's directory (DATA_DIR), or undefined when DATABASE_URL names PostgreSQL:
 * what a start needs to know before it loads anything else (src/entry/node.ts), as configFrom
 * reads it.
 */
export function embeddedDataDir(env: Record<string, string | undefined>): string | undefined {
  return env.DATABASE_URL ? undefined : env.DATA_DIR || DEFAULT_DATA_DIR;
}
