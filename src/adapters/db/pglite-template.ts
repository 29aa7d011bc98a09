import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FunctionFile, Migration } from './migrate.ts';

// A new embedded database starts from a template: a gzipped dump of a PGlite data directory that
// initdb made and the migrations brought up to date. Loading one takes about a second where
// initdb and the migrations take several. `npm install` makes it (scripts/pglite-template.ts);
// without one, or with one for other migrations or another PGlite, a start runs initdb, and
// keeps what it made as the template for the next (src/entry/open-database.ts).

/** The package's cache folder, under node_modules: `npm install` makes its contents again. */
const TEMPLATE_DIR = fileURLToPath(new URL('../../../node_modules/.cache/bitemporal-ledger/', import.meta.url));
const PGLITE_PACKAGE = fileURLToPath(new URL('../../../node_modules/@electric-sql/pglite/package.json', import.meta.url));

/** The template's file for this PGlite and these migrations and functions: another name when any of them changes. */
export async function templatePath(migrations: readonly Migration[], functions: readonly FunctionFile[]): Promise<string> {
  const hash = createHash('sha256').update((JSON.parse(await readFile(PGLITE_PACKAGE, 'utf8')) as { version: string }).version);
  for (const m of migrations) hash.update(`\0${m.version}\0${m.name}\0${m.sql}`);
  for (const f of functions) hash.update(`\0${f.name}\0${f.sql}`);
  return join(TEMPLATE_DIR, `pglite-${hash.digest('hex').slice(0, 16)}.tar.gz`);
}

/** The template at `path`, if there is one. */
export async function readTemplate(path: string): Promise<Blob | undefined> {
  try {
    return new Blob([await readFile(path)]);
  } catch {
    return undefined;
  }
}

/** Writes a template whole or not at all: a start never loads half of one. */
export async function writeTemplate(path: string, template: Blob): Promise<void> {
  await mkdir(TEMPLATE_DIR, { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, Buffer.from(await template.arrayBuffer()));
  await rename(partial, path);
}
