import { AsyncLocalStorage } from 'node:async_hooks';
import { bootstrapAdminKey } from '../app/api-keys.ts';
import { GroupCommitter } from '../app/group-commit.ts';
import { projectNow } from '../app/projector.ts';
import { readiness } from '../app/readiness.ts';
import { signerFromKey, type NoteSigner } from '../app/signed-note.ts';
import type { LedgerStore } from '../app/ports.ts';
import type { Database } from '../adapters/db/database.ts';
import { isDatabaseGone } from '../adapters/db/errors.ts';
import { createLedgerStore } from '../adapters/db/ledger-store.ts';
import { openPostgres } from '../adapters/db/postgres.ts';
import { createTreeStore } from '../adapters/db/tree-store.ts';
import { createApp } from '../adapters/http/app.ts';
import type { AppDeps } from '../adapters/http/env.ts';
import { ProblemError } from '../adapters/http/problem.ts';
import { configFrom, type Config } from './config.ts';
import { appliedSchemaVersion } from './schema-version.ts';
import { WORKER_DOCS_ASSETS } from './worker-docs-assets.ts';

// The Workers entry: the app of createApp over PostgreSQL through the Hyperdrive binding
// HYPERDRIVE, with the settings of the Node entry read from the Worker's vars and secrets.
// Nothing here may import PGlite or read sql/ from a disk: workerd has neither. workerd takes
// every export of this module for a handler, so there is only the default one.
//
// Per isolate: the app, so its rate limits and request counters are this isolate's, and whether
// the schema was found current. Per request: a `postgres` client through Hyperdrive (Workers
// allow no I/O on another request's connection; Hyperdrive pools the connections to the
// database), its store and its group committer, found through `scopes` by the app's deps.

/**
 * The newest migration of sql/ this code needs. Workers cannot run migrations (no sql/ to read,
 * and Hyperdrive's transaction pool cannot hold the migrations' session lock): `npm run migrate`
 * against the database applies them before a deploy, and until then the Worker answers 503.
 * test/http/worker.e2e.test.ts checks it against sql/ (on PostgreSQL).
 */
const SCHEMA_VERSION = 25;

/** A request's connections: Workers allow six at once; the schema check's owner session is the sixth. */
const CONNECTIONS_PER_REQUEST = 5;

/** What the Worker is given: the Hyperdrive binding, and vars and secrets as strings. */
interface WorkerEnv {
  readonly HYPERDRIVE?: { readonly connectionString: string };
  readonly [name: string]: unknown;
}

/** The part of the Workers `ExecutionContext` this entry uses. */
interface WorkerContext {
  waitUntil(promise: Promise<unknown>): void;
}

interface RequestScope {
  readonly database: Database;
  readonly store: LedgerStore;
  readonly committer: GroupCommitter;
  /** Why this request cannot reach the database (schema behind, database down): thrown where the app first asks for the store. */
  readonly unready: unknown;
}

interface Isolate {
  readonly config: Config;
  readonly connectionString: string;
  readonly app: ReturnType<typeof createApp>;
}

/** The Workers `fetch` handler; its state lives in this closure, none at module level. */
function createWorker() {
  const scopes = new AsyncLocalStorage<RequestScope>();
  const scope = (): RequestScope => {
    const current = scopes.getStore();
    if (!current) throw new Error('the app asked for its database outside a request');
    return current;
  };
  let isolate: Isolate | undefined;
  let ready = false; // the schema was found current and the bootstrap key made: asked once per isolate
  // The digest's checkpoints are signed with LEDGER_SIGNING_KEY (WebCrypto Ed25519), read once per isolate.
  let signer: Promise<NoteSigner> | undefined;
  let signerReady: NoteSigner | undefined;

  function wire(env: WorkerEnv): Isolate {
    const connectionString = env.HYPERDRIVE?.connectionString;
    if (!connectionString) throw new Error('no Hyperdrive binding HYPERDRIVE (wrangler.toml [[hyperdrive]])');
    const config = configFrom(Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string')));
    // The app reads its deps during each request: the getters answer that request's.
    const deps: AppDeps = {
      get store() {
        const current = scope();
        if (current.unready) throw current.unready;
        return current.store;
      },
      get committer() {
        return scope().committer;
      },
      // The Merkle tree of the request's database; no keeper runs in a Worker: proofs build what they need.
      get tree() {
        return createTreeStore(scope().database.db);
      },
      get signer() {
        return signerReady;
      },
      logger: { info: (line) => console.log(JSON.stringify(line)), warn: (line) => console.warn(JSON.stringify(line)), error: (line) => console.error(JSON.stringify(line)) },
      limits: config.limits,
      docsAssets: () => WORKER_DOCS_ASSETS,
      // /ready asks through the request's own client; there is no projector in a Worker.
      readiness: () => {
        const { database } = scope();
        return readiness({
          database: () => database.ping().then(() => undefined),
          schemaVersions: async () => ({ applied: await appliedSchemaVersion(database), needed: SCHEMA_VERSION }),
          maxLagEvents: config.readyMaxLagEvents,
        });
      },
    };
    signer = config.signingKey ? signerFromKey(config.signingKey) : undefined;
    return { config, connectionString, app: createApp(deps) };
  }

  return {
    async fetch(request: Request, env: WorkerEnv, ctx: WorkerContext): Promise<Response> {
      try {
        isolate ??= wire(env);
        signerReady ??= await signer;
      } catch (error) {
        console.error(JSON.stringify({ msg: 'the Worker is misconfigured', error: String(error) }));
        return Response.json(
          { type: 'about:blank', title: 'Internal error', status: 500, detail: 'The service is misconfigured; it has been logged.', code: 'INTERNAL' },
          { status: 500, headers: { 'Content-Type': 'application/problem+json' } },
        );
      }
      const { config, connectionString, app } = isolate;
      const database = await openPostgres(connectionString, { poolSize: CONNECTIONS_PER_REQUEST, statementTimeoutMs: config.statementTimeoutMs });
      let sent: Promise<void> = Promise.resolve();
      // Reads never build balance checkpoints: the ledgers a request commits to are projected after its answer.
      const store = createLedgerStore(database.db, { checkpointsBuiltBy: 'projector' });
      const committed = new Set<string>();
      try {
        const unready = ready ? undefined : await whyUnready(database, store, config);
        ready = unready === undefined;
        const answer = untilSent(sentAsEncoded(await scopes.run({ database, store, committer: new GroupCommitter(store, { isUnavailable: isDatabaseGone, onCommitted: (ledgerId) => committed.add(ledgerId) }), unready }, () => app.fetch(request))));
        sent = answer.sent;
        return answer.response;
      } finally {
        // Hyperdrive drops the client when the request ends anyway; closing it here frees the
        // connection as soon as the body is out, in local dev too.
        ctx.waitUntil(sent
          .then(() => projectNow(store, committed, (error) => console.warn(JSON.stringify({ msg: 'a projector step failed', error: String(error) }))))
          .finally(() => database.close()));
      }
    },
  };
}

/**
 * Undefined when the schema is current and the bootstrap key exists (made here if need be), else
 * why not: a problem for a schema behind, or the error met on the way.
 */
async function whyUnready(database: Database, store: LedgerStore, config: Config): Promise<unknown> {
  try {
    const version = await appliedSchemaVersion(database);
    if (version < SCHEMA_VERSION) {
      const detail = `The database schema is at migration ${version} and this Worker needs ${SCHEMA_VERSION}: run \`npm run migrate\` against the database.`;
      return new ProblemError('UNAVAILABLE', detail, undefined, { 'Retry-After': '30' });
    }
    // Without the secret no key is made: one printed here would land in the Worker's logs.
    if (config.bootstrapAdminKey) await bootstrapAdminKey(store, config.bootstrapAdminKey);
    return undefined;
  } catch (error) {
    return error;
  }
}

/**
 * A body the app compressed itself (Content-Encoding: /docs's files) goes out as it is: workerd
 * compresses a body for its Content-Encoding unless told that it is encoded already.
 */
function sentAsEncoded(response: Response): Response {
  if (!response.headers.has('Content-Encoding')) return response;
  const init = { status: response.status, statusText: response.statusText, headers: response.headers, encodeBody: 'manual' };
  return new Response(response.body, init as ResponseInit); // encodeBody is workerd's, not in Node's types
}

/**
 * The response, and when its body has been sent or its client has gone. Only an event stream
 * outlives the handler (it queries while it streams), so only its body is passed on, chunk by
 * chunk as the client takes them; a client gone cancels it, which ends the stream's loop.
 * workerd notices a client gone only when a write to it fails: at one of the next two heartbeats.
 */
function untilSent(response: Response): { response: Response; sent: Promise<void> } {
  if (!response.body || !/^text\/event-stream\b/.test(response.headers.get('Content-Type') ?? '')) return { response, sent: Promise.resolve() };
  let finish!: () => void;
  const sent = new Promise<void>((resolve) => (finish = resolve));
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (!done) return controller.enqueue(value);
        finish();
        controller.close();
      } catch (error) {
        finish();
        controller.error(error); // nothing when the client has cancelled already
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
  return { response: new Response(body, response), sent };
}

export default createWorker();
