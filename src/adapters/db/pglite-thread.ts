// The thread PGlite runs on (src/adapters/db/pglite.ts starts it): its WebAssembly executes
// here, while the main thread goes on serving HTTP. It answers each request of the port in turn:
// { id, sql, params? } runs a query (with parameters) or a script (without), { id, close: true }
// closes the database. Answers are { id, rows, affectedRows? } or { id, error }, plain values.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types } from '@electric-sql/pglite';

export type ThreadRequest = { readonly id: number; readonly sql: string; readonly params?: readonly unknown[] } | { readonly id: number; readonly close: true };
export type ThreadAnswer =
  | { readonly id: number; readonly rows: Record<string, unknown>[]; readonly affectedRows?: number | undefined }
  | { readonly id: number; readonly error: ThreadError };
/** An error's message and its own plain fields (PostgreSQL's `code`, `detail`, `constraint`, ...). */
export type ThreadError = { readonly message: string } & Record<string, string | number | boolean>;

const asText = (value: string) => value;
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

function plainError(error: unknown): ThreadError {
  const fields = Object.entries(error as object).filter(([, value]) => ['string', 'number', 'boolean'].includes(typeof value));
  return { ...Object.fromEntries(fields) as Record<string, string>, message: error instanceof Error ? error.message : String(error) };
}

const { dataDir } = workerData as { dataDir: string | undefined };
const port = parentPort!;
const opening = PGlite.create({ ...(dataDir ? { dataDir } : {}), parsers: TEXT_PARSERS, startParams: [...PGlite.defaultStartParams, ...START_SETTINGS] });
opening.then(() => port.postMessage({ id: 0, rows: [] }), (error: unknown) => port.postMessage({ id: 0, error: plainError(error) }));

async function answer(pglite: PGlite, request: ThreadRequest): Promise<ThreadAnswer> {
  if ('close' in request) {
    await pglite.close();
    return { id: request.id, rows: [] };
  }
  if (request.params === undefined) return { id: request.id, rows: (await pglite.exec(request.sql)).at(-1)?.rows ?? [] };
  const result = await pglite.query<Record<string, unknown>>(request.sql, [...request.params]);
  return { id: request.id, rows: result.rows, affectedRows: result.affectedRows };
}

port.on('message', (request: ThreadRequest) => {
  void opening.then((pglite) => answer(pglite, request)).then(
    (reply) => port.postMessage(reply),
    (error: unknown) => port.postMessage({ id: request.id, error: plainError(error) }),
  );
});
