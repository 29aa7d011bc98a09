// A quick look at the wide reads, for before/after comparisons while working on them (the full
// figures are `BENCH_ONLY=reads npm run bench`'s): the trial balance (`GET .../balances`) over
// PROBE_ACCOUNTS accounts (10000) with five transactions each, at random (R, E), and feed pages
// of 1,000 over PROBE_FEED_EVENTS events (100000), both shaped as the bench shapes them. The
// service runs as `npm start` runs it on PROBE_DATABASE_URL (a PostgreSQL); the ledgers are
// loaded once and kept there, so that runs of other code read the same data. PROBE_ROUNDS
// (3) rounds of PROBE_TRIALS trial balances (20) and of the feed's pages, each round printed
// (PROBE_ONLY=trial or feed: that one only).
// PROBE_CPU_PROF: a directory for the service's CPU profile (node --cpu-prof), written when it
// stops. PROBE_PORT and PROBE_KEY: a service already running there (started by hand, under a
// profiler, say), with an admin key, instead of one started here (PROBE_API_PID: its pid).
// PROBE_PG_DIR: the cluster's data directory, to print the CPU each read cost the client, the API
// and PostgreSQL (more telling than latencies on a shared machine).
//
//   PROBE_DATABASE_URL=postgres://... node scripts/bench/wide-read-probe.ts
import { randomBytes } from 'node:crypto';
import { startServer } from '../../test/support/server.ts';
import { cpuMeter, cpuPer, postmasterPid } from './cpu.ts';
import { jsonCaller, runLoad, type HttpRequest } from './http-load.ts';

const DAY_MS = 86_400_000;
const env = process.env;
const accounts = Number(env.PROBE_ACCOUNTS ?? 10_000);
const feedEvents = Number(env.PROBE_FEED_EVENTS ?? 100_000);
const rounds = Number(env.PROBE_ROUNDS ?? 3);
const trials = Number(env.PROBE_TRIALS ?? 20);
const only = env.PROBE_ONLY; // trial or feed: that one only
const randomBelow = (n: number) => Math.floor(Math.random() * n);
const cents = (n: number) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;
const running = env.PROBE_PORT ? { port: Number(env.PROBE_PORT), pid: Number(env.PROBE_API_PID), lines: [], stderr: () => '', stop: async () => null } : undefined;
if (!running && !env.PROBE_DATABASE_URL) throw new Error('PROBE_DATABASE_URL: a PostgreSQL database to load once and read');

const key = running ? env.PROBE_KEY! : `lk_probe_${randomBytes(18).toString('base64url')}`;
const server = running ?? await startServer({
  DATABASE_URL: env.PROBE_DATABASE_URL!, LEDGER_BOOTSTRAP_ADMIN_KEY: key,
  ...(env.PROBE_CPU_PROF ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${env.PROBE_CPU_PROF}` } : {}),
});
const headers = { Authorization: `Bearer ${key}` };
const call = jsonCaller(server.port, headers, [404]);
const cpu = env.PROBE_PG_DIR ? cpuMeter(server.pid, postmasterPid(env.PROBE_PG_DIR)) : undefined;
/** `count` requests one at a time: their latencies, and what each cost the processes' CPU. */
async function timed(count: number, request: (i: number) => HttpRequest) {
  const before = cpu?.();
  const load = await runLoad(server.port, headers, 1, (i) => (i < count ? request(i) : null));
  const per = before && cpuPer(before, cpu!(), count);
  return { ...load, cpu: per ? ` (CPU a read: client ${per.client.toFixed(1)}, API ${per.api.toFixed(1)}, PostgreSQL ${per.postgres.toFixed(1)} ms)` : '' };
}
const p50 = (samples: readonly number[]) => [...samples].sort((a, b) => a - b)[Math.ceil(samples.length / 2) - 1]!;

/** A ledger of `count` accounts (a-0 ...) and `transactions` transfers among them, dated over the past year: what is not there yet. */
async function load(ledgerId: string, count: number, transactions: number, ids = Array.from({ length: count }, (_, i) => `a-${i}`)) {
  const head = (await call('GET', `/v1/ledgers/${ledgerId}`)).head as number | undefined;
  if (head !== undefined) return loadTransactions(ledgerId, ids, head - 1 - count, transactions);
  await call('POST', '/v1/ledgers', { id: ledgerId, name: ledgerId });
  // 1,000 at a time, on new connections (a keep-alive connection does not last for ever).
  for (let from = 0; from < count; from += 1000) {
    await runLoad(server.port, headers, 16, (i) => from + i < Math.min(count, from + 1000)
      ? { method: 'POST', path: `/v1/ledgers/${ledgerId}/accounts`, body: JSON.stringify({ id: ids[from + i], normalBalance: (from + i) % 2 === 0 ? 'debit' : 'credit', currency: 'USD' }) } : null);
  }
  await loadTransactions(ledgerId, ids, 0, transactions);
}

async function loadTransactions(ledgerId: string, ids: readonly string[], from: number, transactions: number) {
  const count = ids.length;
  for (let done = from; done < transactions; done += 1000) {
    const batch = Array.from({ length: Math.min(1000, transactions - done) }, (_, i) => {
      const debit = randomBelow(count);
      const credit = (debit + 1 + randomBelow(count - 1)) % count;
      const amount = cents(1 + randomBelow(999_999));
      return { id: `t-${done + i}`, effectiveAt: new Date(Date.now() - randomBelow(365 * DAY_MS)).toISOString(), postings: [{ accountId: ids[debit]!, direction: 'debit', amount }, { accountId: ids[credit]!, direction: 'credit', amount }] };
    });
    await call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { transactions: batch });
  }
}

try {
  await load('probe-trial', accounts, accounts * 5);
  await load('probe-feed', 2, feedEvents);
  await new Promise((resolve) => setTimeout(resolve, 3000)); // the projector catches up
  const first = (await call('GET', `/v1/ledgers/probe-trial/events?after=${accounts}&limit=1`)).events as { recordedAt: string }[];
  const firstMs = Date.parse(first[0]!.recordedAt) + 1;
  const asOf = () => {
    const now = Date.now();
    return `recordedAsOf=${new Date(firstMs + randomBelow(now - firstMs)).toISOString()}&effectiveAsOf=${new Date(now - 365 * DAY_MS + randomBelow(366 * DAY_MS)).toISOString()}`;
  };
  const pages = Math.floor(feedEvents / 1000);
  await timed(3, () => ({ method: 'GET', path: `/v1/ledgers/probe-trial/balances?${asOf()}` })); // warm-up
  for (let round = 1; round <= rounds; round += 1) {
    const figures = [];
    if (only !== 'feed') {
      const trial = await timed(trials, () => ({ method: 'GET', path: `/v1/ledgers/probe-trial/balances?${asOf()}` }));
      figures.push(`trial balance of ${accounts} accounts p50 ${p50(trial.samplesMs).toFixed(1)} ms${trial.cpu}`);
    }
    if (only !== 'trial') {
      const feed = await timed(pages, (i) => ({ method: 'GET', path: `/v1/ledgers/probe-feed/events?limit=1000&after=${i * 1000}` }));
      figures.push(`feed ${Math.round((pages * 1000) / feed.seconds)} events/s (page p50 ${p50(feed.samplesMs).toFixed(1)} ms${feed.cpu})`);
    }
    console.log(`round ${round}: ${figures.join('; ')}`);
  }
} catch (error) {
  console.error(`the service's stderr:\n${server.stderr()}\nits last lines:\n${server.lines.slice(-5).join('\n')}`);
  throw error;
} finally {
  await server.stop();
}
