import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Migration, FunctionFile } from './migrate.ts';

const FILE_NAME = /^(\d{3,})_([a-z0-9_]+)\.sql$/;
const CODE_FILE_NAME = /^([a-z0-9_]+)\.sql$/;

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

/** The SQL functions of `sql/functions/` (`name.sql`), read from disk. */
export async function readFunctionFiles(dir: string): Promise<FunctionFile[]> {
  const folder = join(dir, 'functions');
  const names = (await readdir(folder)).filter((name) => CODE_FILE_NAME.test(name)).sort();
  return Promise.all(names.map(async (name) => ({ name: CODE_FILE_NAME.exec(name)![1]!, sql: await readFile(join(folder, name), 'utf8') })));
}
