// `npm run bench:proofs`: how long the proof routes take on a large ledger (issue 18: under 5 ms
// at 10,000,000 events). It fills a ledger of its own with BENCH_PROOF_EVENTS events straight
// into the events table (their hashes are random: a proof reads hashes, never checks them),
// builds the Merkle tree as the tree keeper would (timed), then sends BENCH_PROOF_SAMPLES
// requests of each kind through the app in-process (HTTP routing, access check, zod, the
// store's queries; no socket) and prints the latency percentiles and the proof lengths.
//   BENCH_PROOF_EVENTS    events in the ledger                                 1000000
//   BENCH_PROOF_SAMPLES   requests of each kind (inclusion, consistency, digest)   500
// On PostgreSQL (a new database beside DATABASE_URL's, dropped at the end) when DATABASE_URL is
// set, else on PGlite in memory.
import { performance } from 'node:perf_hooks';
import { createApiKey } from '../src/app/api-keys.ts';
import { GroupCommitter } from '../src/app/group-commit.ts';
import { createLedgerStore } from '../src/adapters/db/ledger-store.ts';
import { createTreeStore } from '../src/adapters/db/tree-store.ts';
import { createApp } from '../src/adapters/http/app.ts';
import { openDatabase } from '../src/entry/open-database.ts';
import { emptyPostgresDatabase } from '../test/support/private-database.ts';

const events = Number(process.env.BENCH_PROOF_EVENTS ?? 1_000_000);
const samples = Number(process.env.BENCH_PROOF_SAMPLES ?? 500);
if (!Number.isSafeInteger(events) || events < 2 || !Number.isSafeInteger(samples) || samples < 1) {
  console.error('BENCH_PROOF_EVENTS (at least 2) and BENCH_PROOF_SAMPLES (at least 1) are whole numbers');
  process.exit(2);
}
const log = (line: string) => console.error(`bench:proofs: ${line}`);
const empty = process.env.DATABASE_URL ? await emptyPostgresDatabase() : undefined;
const database = await openDatabase(empty ? { databaseUrl: empty.url } : { dataDir: 'memory://' });
const ledgerId = 'bench-proofs';

try {
  const started = performance.now();
  await database.asOwner(async (run) => {
    await run(`insert into ledgers (ledger_id, name, timezone, recorded_at) values ('${ledgerId}', 'Proofs', 'UTC', now())`);
    for (let from = 1; from <= events; from += 100_000) {
      const to = Math.min(events, from + 99_999);
      await run(`insert into events (ledger_id, position, type, recorded_at, actor, request_id, data, prev_hash, hash)
        select '${ledgerId}', p, 'TransactionRecorded', now(), 'bench', 'r' || p, '{}'::jsonb, '', encode(sha256(int8send(p)), 'hex')
          from generate_series(${from}::bigint, ${to}::bigint) as p`);
      log(`${to} events`);
    }
    await run('analyze events');
  });
  log(`filled in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const tree = createTreeStore(database.db);
  const building = performance.now();
  for (let built = -1, now = 0; now !== built;) {
    built = now;
    now = await tree.build(ledgerId, 4096);
    log(`tree built through ${now}`);
  }
  const buildS = (performance.now() - building) / 1000;

  await database.actAsAppRole();
  const store = createLedgerStore(database.db);
  const app = createApp({ store, committer: new GroupCommitter(store), tree, limits: undefined });
  const key = (await createApiKey(store, { name: 'bench', role: 'auditor', ledgerIds: [ledgerId] })).key;
  const get = async (path: string) => {
    const t = performance.now();
    const answer = await app.request(`/v1/ledgers/${ledgerId}${path ? `/${path}` : ''}`, { headers: { Authorization: `Bearer ${key}` } });
    const body = (await answer.json()) as { auditPath?: unknown[]; proof?: unknown[] };
    if (answer.status !== 200) throw new Error(`${path}: ${answer.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - t, length: (body.auditPath ?? body.proof ?? []).length };
  };
  const random = (below: number) => 1 + Math.floor(Math.random() * below);
  const kinds: Record<string, () => string> = {
    inclusion: () => `proofs/inclusion?position=${random(events)}&treeSize=${events}`,
    'inclusion (past size)': () => { const size = random(events); return `proofs/inclusion?position=${random(size)}&treeSize=${size}`; },
    consistency: () => `proofs/consistency?from=${random(events)}&to=${events}`,
    digest: () => 'digest',
    // For scale: a route of one small query (the ledger and its head), on the same machine at the same time.
    'GET ledger (1 query)': () => '',
  };
  // The first kind meets the tree cold, just built (and autovacuum busy with the load): again, warm.
  kinds['inclusion (again)'] = kinds.inclusion!;
  for (let i = 0; i < 20; i++) await get(kinds.inclusion!()); // warm-up
  const rows = [];
  for (const [kind, path] of Object.entries(kinds)) {
    const runs = [];
    for (let i = 0; i < samples; i++) runs.push(await get(path()));
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
    const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]!.toFixed(2);
    rows.push(`${kind.padEnd(24)} p50 ${at(0.5).padStart(7)} ms   p99 ${at(0.99).padStart(7)} ms   hashes <= ${Math.max(...runs.map((r) => r.length))}`);
  }
  console.log(`Merkle proofs on ${empty ? 'PostgreSQL' : 'PGlite'}, ${events.toLocaleString('en')} events, ${samples} requests each (in-process, one at a time)`);
  console.log(`tree built in ${buildS.toFixed(1)} s (${Math.round(events / buildS).toLocaleString('en')} events/s)`);
  for (const row of rows) console.log(row);
} finally {
  await database.close();
  await empty?.drop();
}
