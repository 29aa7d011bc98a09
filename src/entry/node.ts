import { mkdirSync } from 'node:fs';
import { embeddedDataDir } from './data-dir.ts';
import { startEmbedded } from './embedded-start.ts';

// The embedded database's thread is started first, before any other module is loaded: it copies
// the template and opens PGlite (about a second of its own) while this thread loads the rest.
const dataDir = embeddedDataDir(process.env);
if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
const embedded = dataDir !== undefined ? startEmbedded(dataDir) : undefined;
await embedded?.then(() => {}, () => {}); // started (sql/ read); a failure is reported by the opening below
// pino is CommonJS: its module's default is its whole export, in the bundle (scripts/build-server.ts) as here.
const [{ default: pino }, { configFrom }, { openDatabaseWhenReachable }] = await Promise.all([import('pino'), import('./config.ts'), import('./open-database.ts')]);

const config = configFrom(process.env);
// JSON lines on stdout, written asynchronously: a request does not wait for its log line.
// No line is built with a key or a header; the redaction is a second guard should one ever be.
const logger = pino({
  level: config.logLevel, timestamp: pino.stdTimeFunctions.isoTime,
  redact: { paths: ['key', '*.key', 'authorization', '*.authorization', 'headers', '*.headers'], censor: '[redacted]' },
}, pino.destination({ dest: 1, sync: false }));
const log = (line: Record<string, unknown>) => logger.info(line);
/** Writes what the log holds, then exits. */
const exit = (code: number) => {
  logger.flush();
  process.exit(code);
};

const opening = openDatabaseWhenReachable(config, log, embedded).catch((error: unknown) => {
  logger.fatal({ msg: 'cannot start: the database cannot be opened', error: String(error) });
  console.error(`cannot start: ${String(error)}`);
  return exit(1);
});
// The rest of the service's modules load while the database opens (PGlite on its own thread).
const [
  { serve }, { bootstrapAdminKey }, { DatabaseAvailability }, { GroupCommitter }, { Projector }, { signerFromKey }, { TreeKeeper },
  { isDatabaseGone }, { createLedgerStore }, { createTreeStore }, { createApp }, { docsAssetsFromDisk }, { operationsFor },
] = await Promise.all([
  import('@hono/node-server'), import('../app/api-keys.ts'), import('../app/database-availability.ts'), import('../app/group-commit.ts'),
  import('../app/projector.ts'), import('../app/signed-note.ts'), import('../app/tree-keeper.ts'), import('../adapters/db/errors.ts'),
  import('../adapters/db/ledger-store.ts'), import('../adapters/db/tree-store.ts'),
  import('../adapters/http/app.ts'), import('./docs-assets.ts'), import('./operations.ts'),
]);
const database = await opening;
const availability = config.databaseUrl
  ? new DatabaseAvailability(() => database.ping(), {
    onChange: (state) => (state.reachable ? logger.info({ msg: 'database reachable again' }) : logger.warn({ msg: 'database unreachable', reason: state.reason })),
  })
  : undefined;
// Balance checkpoints are built by the projector below, in the background; reads never build.
const store = createLedgerStore(database.db, { checkpointsBuiltBy: 'projector', copyAppends: database.kind === 'postgres', decideUnderLock: database.kind === 'pglite', copyExports: database.kind === 'postgres' });
// The replica's module (and with it the PostgreSQL driver) is loaded only when there is one.
const readReplica = config.replicaUrl
  ? await (await import('../adapters/db/read-replica.ts')).openReadReplica(config.replicaUrl, { statementTimeoutMs: config.statementTimeoutMs })
  : undefined;
const firstKey = await bootstrapAdminKey(store, config.bootstrapAdminKey);
if (firstKey) {
  console.log(`First start: an admin API key was created. It is shown only this once; keep it safe:\n\n  ${firstKey}\n`);
}
const stopping = new AbortController();
// The Merkle tree (spec section 12) built behind each ledger's log, off the write path; the digest's checkpoints signed with LEDGER_SIGNING_KEY.
const tree = createTreeStore(database.db);
const treeKeeper = new TreeKeeper(tree, (error) => logger.warn({ msg: 'a Merkle tree build failed', error: String(error) }));
const signer = config.signingKey ? await signerFromKey(config.signingKey).catch((error: unknown) => {
  console.error(`cannot start: LEDGER_SIGNING_KEY: ${(error as Error).message}`);
  return exit(1);
}) : undefined;
// Follows every ledger's log and builds the balance checkpoints off the request path.
const projector = new Projector(store, { onError: (error) => logger.warn({ msg: 'a projector step failed', error: String(error) }) }).start();
// GET /metrics (LEDGER_METRICS) and GET /ready; each ledger's chain head is read at each scrape.
const { metrics, readiness } = operationsFor({ config, database, availability, projector, chainHeads: () => store.projectorLag(), appendOutcomes: () => store.appendOutcomes?.() ?? {} });
/**
 * The projector hears of commits at most every PROJECTOR_WAKE_MS, and then folds every commit
 * since in a step: one step a commit took a connection and the database's CPU from the writes
 * (on PGlite's one connection, turns with the commits), for a lag a tenth of a second shorter.
 */
const PROJECTOR_WAKE_MS = 100;
const projectorWakes = new Set<string>();
let projectorWake: NodeJS.Timeout | undefined;
function wakeProjector(ledgerId: string): void {
  projectorWakes.add(ledgerId);
  projectorWake ??= setTimeout(() => {
    projectorWake = undefined;
    for (const id of projectorWakes) projector.committed(id);
    projectorWakes.clear();
  }, PROJECTOR_WAKE_MS);
}
const committer = new GroupCommitter(store, {
  isUnavailable: isDatabaseGone, overlapCommits: database.kind === 'postgres',
  onCommitted: (ledgerId, recorded) => {
    wakeProjector(ledgerId);
    treeKeeper.committed(ledgerId, recorded);
    metrics?.committed(recorded.length);
  },
});
const app = createApp({
  store, committer, logger, shutdown: stopping.signal, limits: config.limits, docsAssets: docsAssetsFromDisk(), readiness,
  ...(metrics ? { metrics } : {}), tree, ...(signer ? { signer } : {}),
  ...(readReplica ? { readReplica } : {}), ...(availability ? { availability } : {}),
});
const server = serve({ fetch: app.fetch, port: config.port }, (info) => {
  const where = config.databaseUrl ? `PostgreSQL${readReplica ? ' with a read replica' : ''}` : `PGlite in ${config.dataDir}`;
  logger.info({ msg: 'listening', port: info.port, database: where });
  logger.flush();
});

async function shutdown(signal: string) {
  logger.info({ msg: 'stopping', signal });
  // End the streams, finish the requests in flight (their commits included), then close the
  // database; connections still open after 10 s are cut.
  stopping.abort();
  availability?.close();
  const cut = setTimeout(() => (server as unknown as { closeAllConnections(): void }).closeAllConnections(), 10_000);
  cut.unref();
  // A database that does not answer (a replica gone, say) must not keep the process alive.
  setTimeout(() => {
    logger.error({ msg: 'stopped without closing the database', signal });
    exit(1);
  }, 20_000).unref();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await projector.close();
  await treeKeeper.close();
  await readReplica?.close();
  await database.close();
  exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
