// The thread PGlite runs on (src/adapters/db/pglite.ts starts it): its WebAssembly executes
// here, while the main thread goes on serving HTTP. It answers each request of the port in turn:
// { id, sql, params? } runs a query (with parameters: a statement prepared once and kept, see
// pglite-statements.js) or a script (without), { id, close: true }
// closes the database. Answers are { id, rows, affectedRows? } or { id, error }, plain values
// (their types: ThreadRequest and ThreadAnswer in pglite.ts); id 0 answers once the database is
// open. Given a `copy` (DataDirCopy in pglite-template.ts: the template), the thread makes it
// first, while the main thread loads the service's modules.
//
// This module is JavaScript, not TypeScript, so that the thread does without Node's type
// stripper: loading it costs each start 0.1 to 0.15 s of CPU, on the thread that opens the
// database.
/* global WebAssembly */
import { copyFileSync, cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { PGlite, types } from '@electric-sql/pglite';
import { preparedStatements } from './pglite-statements.js';

/**
 * PostgreSQL's WebAssembly runs on V8's baseline compiler (Liftoff) alone. By default V8 also
 * recompiles each hot function with its optimizing compiler (TurboFan) on background threads:
 * on two cores that took about 2 s of CPU during a new database's first 300 writes and still
 * about 0.5 ms a write after a minute of them, for statements at most a tenth faster, and 80 MiB
 * of memory. Set before PGlite compiles its module (WebAssembly modules compiled earlier, such
 * as the type stripper's on the main thread, keep their tiers).
 */
setFlagsFromString('--liftoff-only');

const asText = (value) => value;
/** Given to PGlite once, at its creation: given with each query, they are merged into its own hundreds again each time. */
const TEXT_PARSERS = {
  [types.TIMESTAMPTZ]: asText,
  [types.TIMESTAMP]: asText,
  [types.DATE]: asText,
  [types.NUMERIC]: asText,
  [types.INT8]: asText,
};

/**
 * PostgreSQL's settings for one session in this process: its shared memory is set up (zeroed) at
 * each start and stays resident, and the defaults (128 MB of buffers, 100 connections) cost
 * half a second of each start and 130 MB. The operating system's page cache still holds what
 * the buffers do not. PGlite's own start parameters come first; among them `-F`, no fsync: a
 * commit is written to the data directory's files before it is acknowledged, so it survives
 * the process killed (kill -9), but not the machine losing power.
 */
const START_SETTINGS = ['-c', 'shared_buffers=16MB', '-c', 'max_connections=4'];

/** An error's message and its own plain fields (PostgreSQL's `code`, `detail`, `constraint`, ...). */
function plainError(error) {
  const fields = Object.entries(error).filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value));
  return { ...Object.fromEntries(fields), message: error instanceof Error ? error.message : String(error) };
}

/**
 * `copy` made as pglite-template.ts's copyDataDir makes it: synchronously (`fs.promises.cp` took
 * three to four times the CPU), every file but the skipped ones, then the last one.
 */
function copyDataDir(copy) {
  cpSync(copy.from, copy.to, { recursive: true, filter: (source) => !copy.skipped.includes(source) });
  copyFileSync(join(copy.from, copy.last), join(copy.to, copy.last));
}

/** PGlite's own file of that name, or undefined (PGlite then looks for it itself, and reports it missing). */
function pgliteFile(name) {
  try {
    return readFileSync(new URL(name, import.meta.resolve('@electric-sql/pglite')));
  } catch {
    return undefined;
  }
}

/**
 * The file system bundle as PGlite reads it (`fsBundle.arrayBuffer()`, once), without a Blob: a
 * Blob copied the 6 MB in and read them back out in chunks (50 to 90 ms of this thread a start).
 */
function asBlob(bytes) {
  const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  return { arrayBuffer: async () => (whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
}

/**
 * What PGlite reads and compiles as it opens, read and compiled around the copy: its WebAssembly
 * module (V8 compiles it on its own threads while this one copies) and its file system bundle
 * (PostgreSQL's share directory).
 */
async function prepare(copy) {
  const wasm = pgliteFile('pglite.wasm');
  const compiling = wasm ? WebAssembly.compile(wasm).catch(() => undefined) : undefined;
  if (copy) copyDataDir(copy);
  const bundle = pgliteFile('pglite.data');
  const pgliteWasmModule = await compiling;
  return { ...(pgliteWasmModule ? { pgliteWasmModule } : {}), ...(bundle ? { fsBundle: asBlob(bundle) } : {}) };
}

const { dataDir, copy } = workerData;
const port = parentPort;
const opening = prepare(copy).then((artifacts) => PGlite.create({
  ...(dataDir ? { dataDir } : {}), ...artifacts, parsers: TEXT_PARSERS, startParams: [...PGlite.defaultStartParams, ...START_SETTINGS],
}));
const statements = opening.then((pglite) => preparedStatements(pglite));
opening.then(() => port.postMessage({ id: 0, rows: [] }), (error) => port.postMessage({ id: 0, error: plainError(error) }));

async function answer(pglite, request) {
  if ('close' in request) {
    await pglite.close();
    return { id: request.id, rows: [] };
  }
  if (request.params === undefined) {
    await (await statements).forget(); // a script may change what a kept statement answers (a migration's)
    return { id: request.id, rows: (await pglite.exec(request.sql)).at(-1)?.rows ?? [] };
  }
  const result = await (await statements).query(request.sql, request.params);
  return { id: request.id, rows: result.rows, affectedRows: result.affectedRows };
}

port.on('message', (request) => {
  void opening.then((pglite) => answer(pglite, request)).then(
    (reply) => port.postMessage(reply),
    (error) => port.postMessage({ id: request.id, error: plainError(error) }),
  );
});
