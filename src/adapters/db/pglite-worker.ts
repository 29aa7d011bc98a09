import { Worker } from 'node:worker_threads';
import type { DataDirCopy } from './pglite-template.ts';

// The main thread's side of PGlite's thread (pglite-thread.js). Kept apart from pglite.ts, which
// adds Kysely over it, so that a start can set the thread opening (the template copied, PGlite's
// WebAssembly compiled) before it loads Kysely or anything else (src/entry/embedded-start.ts).

/** What pglite-thread.js is asked: a query with its parameters, a script without, or to close. */
type ThreadRequest = { readonly id: number; readonly sql: string; readonly params?: readonly unknown[] } | { readonly id: number; readonly close: true };
/** What it answers: the rows, or the error's message and its own plain fields (PostgreSQL's `code`, `detail`, ...). */
type ThreadAnswer =
  | { readonly id: number; readonly rows: Record<string, unknown>[]; readonly affectedRows?: number | undefined }
  | { readonly id: number; readonly error: { readonly message: string } & Record<string, string | number | boolean> };

type Rows = Record<string, unknown>[];

/**
 * PGlite on its own thread (pglite-thread.js): its WebAssembly would otherwise block this
 * thread's event loop for as long as each statement runs, HTTP included. Requests go in order;
 * the thread keeps the process alive only while one is unanswered, as PGlite in-process would.
 */
export class PgliteThread {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (answer: { rows: Rows; affectedRows?: number | undefined }) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private gone: Error | undefined;
  readonly opened: Promise<void>;

  /** `copy`: made first, by the thread (the template copied into `dataDir`). */
  constructor(dataDir: string | undefined, copy: DataDirCopy | undefined) {
    this.worker = new Worker(new URL('./pglite-thread.js', import.meta.url), { workerData: { dataDir, copy } });
    this.opened = new Promise((resolve, reject) => this.waiting.set(0, { resolve: () => resolve(), reject }));
    this.opened.catch(() => {}); // a failure is the opener's to report, whenever it awaits it
    this.worker.on('message', (answer: ThreadAnswer) => {
      const waiter = this.waiting.get(answer.id);
      this.waiting.delete(answer.id);
      if (this.waiting.size === 0) this.worker.unref();
      if ('error' in answer) waiter?.reject(Object.assign(new Error(answer.error.message), answer.error));
      else waiter?.resolve(answer);
    });
    const fail = (error: Error) => {
      this.gone = error;
      for (const waiter of this.waiting.values()) waiter.reject(error);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the PGlite thread has exited (${code})`)));
  }

  /** One statement with its parameters (its rows), or a script of statements without (the last one's rows). */
  query(sqlText: string, params?: readonly unknown[]): Promise<{ rows: Rows; affectedRows?: number | undefined }> {
    return this.send({ id: this.nextId++, sql: sqlText, ...(params ? { params } : {}) });
  }

  /** Closes the database (a clean shutdown of PostgreSQL), then ends the thread. */
  async close(): Promise<void> {
    try {
      if (!this.gone) await this.send({ id: this.nextId++, close: true });
    } finally {
      await this.worker.terminate();
    }
  }

  private send(request: ThreadRequest): Promise<{ rows: Rows; affectedRows?: number | undefined }> {
    if (this.gone) return Promise.reject(this.gone);
    return new Promise((resolve, reject) => {
      this.waiting.set(request.id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(request);
    });
  }
}
