import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OwnerRun } from './database.ts';
import type { FunctionFile, Migration } from './migrate.ts';

// A new embedded database starts from a template: a PGlite data directory that initdb made and
// the migrations brought up to date, copied file by file (a tenth of a second, where initdb and
// the migrations take several, and PGlite's own loading of a dump over a second). `npm install`
// makes it (scripts/pglite-template.ts). Without one for these migrations and functions (after a
// change to `sql/`), a start copies the newest template of this PGlite whose migrations are
// these migrations' first ones, unchanged (its `base`), and migrates it as it would an older
// database: a few changed functions and new migrations, not initdb and all of them again (7 s,
// and the memory initdb takes stays with the process: 615 against 292 MiB peak RSS under the
// bench's writes). Without any, it runs initdb. Either way it keeps what it made as the template
// for the next start (src/entry/open-database.ts).

/** The package's cache folder, under node_modules: `npm install` makes its contents again. */
const TEMPLATE_DIR = fileURLToPath(new URL('../../../node_modules/.cache/bitemporal-ledger/', import.meta.url));
const PGLITE_PACKAGE = fileURLToPath(new URL('../../../node_modules/@electric-sql/pglite/package.json', import.meta.url));
/** The file a data directory has once whole: copied last, so that a copy cut short is made again. */
const MARK = 'PG_VERSION';
/** The lock file of the process that has a data directory open: never part of a copy. */
const LOCK_FILE = 'postmaster.pid';

const pgliteVersion = async () => (JSON.parse(await readFile(PGLITE_PACKAGE, 'utf8')) as { version: string }).version;

/** How templates are made now (`trimTemplate`): a template made another way has another name. */
const TEMPLATE_FORM = 'without template0 and template1';

/** The template's directory for this PGlite and these migrations and functions: another name when any of them changes. */
export async function templatePath(migrations: readonly Migration[], functions: readonly FunctionFile[]): Promise<string> {
  const hash = createHash('sha256').update(await pgliteVersion()).update(TEMPLATE_FORM);
  for (const m of migrations) hash.update(`\0${m.version}\0${m.name}\0${m.sql}`);
  for (const f of functions) hash.update(`\0${f.name}\0${f.sql}`);
  return join(TEMPLATE_DIR, `pglite-${hash.digest('hex').slice(0, 16)}`);
}

/** What a template was made with, kept beside it (`<template>.json`): PGlite's version and each migration's checksum by its version. */
interface Recipe {
  readonly pglite: string;
  readonly migrations: Record<string, string>;
}

async function recipeOf(migrations: readonly Migration[]): Promise<Recipe> {
  const sums = migrations.map((m) => [String(m.version), createHash('sha256').update(`${m.name}\0${m.sql}`).digest('hex')]);
  return { pglite: await pgliteVersion(), migrations: Object.fromEntries(sums) };
}

function recipeAt(template: string): Recipe | undefined {
  try {
    return JSON.parse(readFileSync(`${template}.json`, 'utf8')) as Recipe;
  } catch {
    return undefined; // none (made before recipes were kept), or being written
  }
}

/** Writes the template's recipe beside it (a template made before recipes were kept has none). */
export async function keepRecipe(path: string, migrations: readonly Migration[]): Promise<void> {
  if (recipeAt(path)) return;
  const partial = `${path}.${process.pid}.json.partial`;
  writeFileSync(partial, JSON.stringify(await recipeOf(migrations)));
  renameSync(partial, `${path}.json`);
}

/**
 * The template (other than `path`) that a database for `migrations` may start from with the
 * fewest of them left to apply, the newest of those: made by this PGlite, with no migration but
 * these, each unchanged (migrations are applied by number, once: one edited since would not be
 * applied again). Its time is touched, so that no start removes it as stale while this one
 * copies it.
 */
export async function baseTemplate(path: string, migrations: readonly Migration[]): Promise<string | undefined> {
  if (!existsSync(TEMPLATE_DIR)) return undefined;
  const wanted = await recipeOf(migrations);
  const fits = (recipe: Recipe | undefined) => recipe?.pglite === wanted.pglite
    && Object.entries(recipe.migrations).every(([version, sum]) => wanted.migrations[version] === sum);
  const applied = (dir: string) => Object.keys(recipeAt(dir)?.migrations ?? {}).length;
  const bases = readdirSync(TEMPLATE_DIR).map((name) => join(TEMPLATE_DIR, name))
    .filter((dir) => dir !== path && basename(dir).startsWith('pglite-') && isDataDir(dir) && fits(recipeAt(dir)))
    .sort((a, b) => applied(b) - applied(a) || statSync(b).mtimeMs - statSync(a).mtimeMs);
  const base = bases[0];
  if (base) utimesSync(base, new Date(), new Date());
  return base;
}

/** Whether `dir` holds a whole data directory (a template, or a database's). */
export function isDataDir(dir: string): boolean {
  return existsSync(join(dir, MARK));
}

/**
 * How the data directory `from` is copied into `to` (made if missing): every file but the lock
 * and the mark, then the mark, so that a copy cut short (the process killed) has none and the
 * next start copies again over it. A plain value: PGlite's thread (pglite-thread.js) carries out
 * a start's copy the same way, while the main thread loads the service's modules.
 */
export interface DataDirCopy {
  readonly from: string;
  readonly to: string;
  /** Files of `from` not copied with the rest. */
  readonly skipped: readonly string[];
  /** The file copied last, alone, once the rest is. */
  readonly last: string;
}

export function dataDirCopy(from: string, to: string): DataDirCopy {
  return { from, to, skipped: [join(from, MARK), join(from, LOCK_FILE)], last: MARK };
}

/**
 * Copies the data directory `from` into `to` as `dataDirCopy` says. Synchronously, on purpose:
 * `fs.promises.cp` took three to four times the CPU (about 1 s against 0.15 to 0.35 s here for
 * the template's 1,075 files).
 */
export function copyDataDir(from: string, to: string): void {
  const copy = dataDirCopy(from, to);
  cpSync(copy.from, copy.to, { recursive: true, filter: (source) => !copy.skipped.includes(source) });
  copyFileSync(join(copy.from, copy.last), join(copy.to, copy.last));
}

/**
 * Drops from a template-to-be PostgreSQL's template databases, which PGlite never connects to (it
 * serves `postgres`) and nothing here copies from: 600 of initdb's 1,062 files and 14 of its 40 MB,
 * which each new database would copy (a file created costs the copy about 0.4 ms of the kernel's
 * time on this machine: 0.25 s a start). One statement a run: DROP DATABASE is refused in a
 * transaction, and a script is one.
 */
export async function trimTemplate(run: OwnerRun): Promise<void> {
  const unused = await run(`select datname from pg_database where datname in ('template0', 'template1')`);
  for (const { datname } of unused) {
    await run(`alter database ${String(datname)} is_template false`);
    await run(`drop database ${String(datname)}`);
  }
}

/** Templates for other migrations are removed once this old: by then no start still copies one. */
const STALE_MS = 3_600_000;

/**
 * Keeps the data directory `dataDir` as the template at `path`, whole or not at all: copied
 * beside it, then renamed, then its recipe (`migrations`, for a later `baseTemplate`); a template
 * already there (the same, by its name) is left as it is, as another start may be copying it.
 * Templates for other migrations made (or last copied as a base) over an hour ago are removed.
 * `dataDir` must not change meanwhile: closed, or checkpointed and idle.
 */
export async function keepTemplate(path: string, dataDir: string, migrations: readonly Migration[]): Promise<void> {
  if (isDataDir(path)) return;
  mkdirSync(TEMPLATE_DIR, { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  try {
    copyDataDir(dataDir, partial);
    if (isDataDir(path)) return; // another start kept it meanwhile, and a third may be copying it
    rmSync(path, { recursive: true, force: true }); // whatever else is at its name, not a template
    renameSync(partial, path);
    await keepRecipe(path, migrations);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  for (const name of readdirSync(TEMPLATE_DIR)) {
    const other = join(TEMPLATE_DIR, name.replace(/\.json$/, '')); // a recipe goes with its template
    if (name.startsWith('pglite-') && other !== path && Date.now() - (statSync(other, { throwIfNoEntry: false })?.mtimeMs ?? 0) > STALE_MS) {
      rmSync(join(TEMPLATE_DIR, name), { recursive: true, force: true });
    }
  }
}
