// The thread PGlite runs on (src/adapters/db/pglite.ts starts it): its WebAssembly executes
// here, while the main thread goes on serving HTTP. It answers each request of the port in turn:
// { id, sql, params? } runs a query (with parameters) or a script (without), { id, close: true }
// closes the database. Answers are { id, rows, affectedRows? } or { id, error }, plain values
// (their types: ThreadRequest and ThreadAnswer in pglite.ts). The database is opened at once, or,
// when `openWhenAsked`, on { open: true }: PGlite loads while the data directory is made ready;
// id 0 answers when it is open.
//
// This module is JavaScript, not TypeScript, so that the thread does without Node's type
// stripper: loading it costs each start 0.1 to 0.15 s of CPU, on the thread that opens the
// database.
/* global WebAssembly */
import { Blob } from 'node:buffer';
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { setFlagsFromString } from 'node:v8';
import { PGlite, types } from '@electric-sql/pglite';

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
 * What PGlite would read and compile once asked to open, read and compiled beforehand: its
 * WebAssembly module and its file system bundle (PostgreSQL's share directory), from its package.
 */
async function prepareArtifacts() {
  const dist = new URL('./', import.meta.resolve('@electric-sql/pglite'));
  const [pgliteWasmModule, bundle] = await Promise.all([
    readFile(new URL('pglite.wasm', dist)).then((bytes) => WebAssembly.compile(bytes)),
    readFile(new URL('pglite.data', dist)),
  ]);
  return { pgliteWasmModule, fsBundle: new Blob([bundle]) };
}

const { dataDir, openWhenAsked } = workerData;
const port = parentPort;
let ask = () => {};
// Asked to wait, the thread prepares meanwhile (a missing artifact is left to PGlite to report).
const asked = openWhenAsked
  ? Promise.all([new Promise((resolve) => (ask = resolve)), prepareArtifacts().catch(() => ({}))]).then(([, artifacts]) => artifacts)
  : Promise.resolve({});
const opening = asked.then((artifacts) => PGlite.create({
  ...(dataDir ? { dataDir } : {}), ...artifacts, parsers: TEXT_PARSERS, startParams: [...PGlite.defaultStartParams, ...START_SETTINGS],
}));
opening.then(() => port.postMessage({ id: 0, rows: [] }), (error) => port.postMessage({ id: 0, error: plainError(error) }));

async function answer(pglite, request) {
  if ('close' in request) {
    await pglite.close();
    return { id: request.id, rows: [] };
  }
  if (request.params === undefined) return { id: request.id, rows: (await pglite.exec(request.sql)).at(-1)?.rows ?? [] };
  const result = await pglite.query(request.sql, [...request.params]);
  return { id: request.id, rows: result.rows, affectedRows: result.affectedRows };
}

port.on('message', (request) => {
  if ('open' in request) return ask();
  void opening.then((pglite) => answer(pglite, request)).then(
    (reply) => port.postMessage(reply),
    (error) => port.postMessage({ id: request.id, error: plainError(error) }),
  );
});
