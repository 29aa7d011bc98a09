import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Migration } from './migrate.ts';

const FILE_NAME = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

/** The numbered migrations of `sql/` (`001_name.sql`, ...), read from disk. */
export async function readMigrations(dir: string): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((name) => FILE_NAME.test(name)).sort();
  return Promise.all(
    names.map(async (name) => {
      const [, version, label] = FILE_NAME.exec(name)!;
      return { version: Number(version), name: label!, sql: await readFile(join(dir, name), 'utf8') };
    }),
  );
}
