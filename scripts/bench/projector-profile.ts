// Where the balance projector's PostgreSQL time goes, per event projected, under the bench's two
// write loads: single writes (16 clients, two postings over 1,000 accounts, PROFILE_SECONDS,
// default 15) and batches of 1,000 (two in flight, PROFILE_BATCHES, default 20). For a cluster of
// one's own (docs/benchmarks.md, session 10) whose postgresql.conf has
//   shared_preload_libraries = 'pg_stat_statements'
//   pg_stat_statements.track = all
// It starts the service on DATABASE_URL as `npm start` does, resets the statistics as the
// superuser `postgres` over the unix socket in PROFILE_PG_DIR (port PROFILE_PG_PORT, default
// DATABASE_URL's), runs each load until the projector has caught up, and prints the
// PROFILE_STATEMENTS (default 25) statements that took the most time, nested ones included (the
// projector's functions and the statements they run), per event, and the CPU per event of
// PostgreSQL and of the API.
//   DATABASE_URL=postgres://... PROFILE_PG_DIR=/tmp/p-pg PROFILE_PG_PORT=55510 node scripts/bench/projector-profile.ts
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { runLoad } from './http-load.ts';
import { cpuMeter, postmasterPid } from './cpu.ts';
import { watchProjector } from './projector-watch.ts';
import { startServer } from '../../test/support/server.ts';

const SECONDS = Number(process.env.PROFILE_SECONDS ?? 15);
const BATCHES = Number(process.env.PROFILE_BATCHES ?? 20);
const ACCOUNTS = 1000;
const databaseUrl = process.env.DATABASE_URL!;
const pgDir = process.env.PROFILE_PG_DIR!;
const database = new URL(databaseUrl).pathname.slice(1);
const admin = postgres({ host: pgDir, port: Number(process.env.PROFILE_PG_PORT ?? new URL(databaseUrl).port), user: 'postgres', database, max: 1, onnotice: () => {} });
await admin`create extension if not exists pg_stat_statements`;

const key = `lk_prof_${randomBytes(18).toString('base64url')}`;
const server = await startServer({ DATABASE_URL: databaseUrl, LEDGER_BOOTSTRAP_ADMIN_KEY: key });
const headers = { Authorization: `Bearer ${key}` };
const projector = watchProjector(databaseUrl);
const cpu = cpuMeter(server.pid, postmasterPid(pgDir));

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, { method, headers: { ...headers, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

const ids = Array.from({ length: ACCOUNTS }, (_, i) => `a-${i}`);
const transfer = (id: string) => {
  const from = Math.floor(Math.random() * ACCOUNTS);
  const to = (from + 1 + Math.floor(Math.random() * (ACCOUNTS - 1))) % ACCOUNTS;
  const amount = `${1 + Math.floor(Math.random() * 9999)}.${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`;
  return { id, postings: [{ accountId: ids[from], direction: 'debit', amount }, { accountId: ids[to], direction: 'credit', amount }] };
};

async function openLedger(ledgerId: string) {
  await call('POST', '/v1/ledgers', { id: ledgerId, name: ledgerId });
  await runLoad(server.port, headers, 16, (i) => i < ACCOUNTS ? { method: 'POST', path: `/v1/ledgers/${ledgerId}/accounts`, body: JSON.stringify({ id: ids[i], normalBalance: i % 2 ? 'credit' : 'debit', currency: 'USD' }) } : null);
  await projector.caughtUpMs();
}

async function profile(label: string, load: () => Promise<unknown>, ledgerId: string) {
  const head = async () => Number((await call('GET', `/v1/ledgers/${ledgerId}`)).head);
  const before = await head();
  await admin`select pg_stat_statements_reset()`;
  await admin`select pg_stat_reset()`;
  const cpuBefore = cpu();
  const { maxLagEvents } = await projector.maxLagWhile(load());
  const caughtUpMs = await projector.caughtUpMs();
  const cpuAfter = cpu();
  const events = (await head()) - before;
  const perEvent = (ms: number) => `${((ms * 1000) / events).toFixed(1)} µs`;
  console.log(`\n## ${label}: ${events} events; the projector at most ${maxLagEvents} behind, caught up ${caughtUpMs.toFixed(0)} ms after`);
  console.log(`PostgreSQL CPU ${perEvent(cpuAfter.postgres - cpuBefore.postgres)} an event, the API ${perEvent(cpuAfter.api - cpuBefore.api)}`);
  const statements = await admin`
    select calls, total_exec_time, rows, wal_bytes, shared_blks_hit + shared_blks_read as blocks, regexp_replace(left(query, 150), '\\s+', ' ', 'g') as query
      from pg_stat_statements where dbid = (select oid from pg_database where datname = ${database})
     order by total_exec_time desc limit ${Number(process.env.PROFILE_STATEMENTS ?? 25)}`;
  console.log('calls | time / event | rows | WAL bytes / event | blocks / event | statement');
  for (const s of statements) {
    console.log(`${s.calls} | ${perEvent(Number(s.total_exec_time))} | ${s.rows} | ${(Number(s.wal_bytes) / events).toFixed(0)} | ${(Number(s.blocks) / events).toFixed(1)} | ${s.query}`);
  }
}

try {
  await openLedger('prof-writes');
  const endMs = () => performance.now() + SECONDS * 1000;
  let until = endMs();
  await runLoad(server.port, headers, 16, (i) => ({ method: 'POST', path: '/v1/ledgers/prof-writes/transactions', body: JSON.stringify(transfer(`warm-${i}`)) }), () => performance.now() >= until);
  await projector.caughtUpMs();
  await profile(`single writes, 16 clients, ${SECONDS} s`, async () => {
    until = endMs();
    await runLoad(server.port, headers, 16, (i) => ({ method: 'POST', path: '/v1/ledgers/prof-writes/transactions', body: JSON.stringify(transfer(`w-${i}`)) }), () => performance.now() >= until);
  }, 'prof-writes');
  await openLedger('prof-batches');
  const batch = (b: number) => ({ method: 'POST', path: '/v1/ledgers/prof-batches/transactions/batch', body: JSON.stringify({ transactions: Array.from({ length: 1000 }, (_, i) => transfer(`b-${b}-${i}`)) }) });
  await runLoad(server.port, headers, 2, (b) => (b < 2 ? batch(-1 - b) : null));
  await projector.caughtUpMs();
  await profile(`batches of 1,000, two in flight, ${BATCHES}`, () => runLoad(server.port, headers, 2, (b) => (b < BATCHES ? batch(b) : null)), 'prof-batches');
} finally {
  await projector.close();
  await server.stop();
  await admin.end();
}
