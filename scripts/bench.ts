// `npm run bench`: every speed and memory figure of the service, against the raw-SQL baseline of
// ../shared/bench/ (pgbench) measured in the same run, so that the ratios hold on a shared,
// noisy machine. It starts its own PostgreSQL 15 (scripts/pg-test-server.sh on a free port and
// a fresh directory, with fsync, synchronous_commit and full_page_writes on) and the service as
// `npm start` runs it, with its default settings. Write figures count the ledger head's growth,
// not answers, so nothing is counted that was not recorded. It prints a table and, with
// BENCH_JSON, writes the figures as JSON; progress goes to stderr. It never fails because a
// target is missed: it exits 1 on an error (a non-2xx answer, a database error), 2 on bad
// settings.
//
// Settings (the defaults take a few minutes on 2 cores):
//   BENCH_SECONDS            length of each throughput run (baseline, single writes)   15
//   BENCH_CONCURRENCY        clients for the baseline and the single writes            16
//   BENCH_ACCOUNTS           accounts the transfers pick pairs from                    1000
//   BENCH_SERIAL_WRITES      writes sent one at a time, for their latency              1000
//   BENCH_BATCHES            batches of 1000, two in flight                            30
//   BENCH_WALLET_POSTINGS    postings on the long noOverdraft wallet (1000000: target) 100000
//   BENCH_WALLET_WRITES      timed writes to each wallet, dated now and backdated      200
//   BENCH_READS              timed reads of each kind, one at a time                   300
//   BENCH_READ_ACCOUNTS      accounts of the trial balance's ledger (10000: target)    10000
//   BENCH_ONLY               some of: baseline,writes,serial,batches,wallet,reads,pglite  all
//   BENCH_BASELINE_DIR       where baseline_schema.sql and baseline_transfer.sql are   ../shared/bench
//   BENCH_JSON               a path: the figures as JSON too
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, platform, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { baselineDir, openBaseline, type Baseline } from './bench/baseline.ts';
import { cpuMeter, cpuPer, postmasterPid, type CpuSample } from './bench/cpu.ts';
import { runLoad, type HttpRequest } from './bench/http-load.ts';
import { watchProjector, type ProjectorWatch } from './bench/projector-watch.ts';
import { streamDelivery } from './bench/stream-delivery.ts';
// @ts-expect-error -- a JavaScript module of the launcher's, without types
import { bundleIsCurrent } from '../src/entry/bundle-current.js';
import { privateCluster, removeAllClusters } from '../test/support/pg-cluster.ts';
import { startServer, type Server } from '../test/support/server.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const ROOT = new URL('../', import.meta.url).pathname;
const GROUPS = ['baseline', 'writes', 'serial', 'batches', 'wallet', 'reads', 'pglite'] as const;
type Group = (typeof GROUPS)[number];
const BATCH_SIZE = 1000;
const WALLET_SMALL = 1000;
const DAY_MS = 86_400_000;

interface Settings {
  readonly seconds: number;
  readonly concurrency: number;
  readonly accounts: number;
  readonly serialWrites: number;
  readonly batches: number;
  readonly walletPostings: number;
  readonly walletWrites: number;
  readonly reads: number;
  readonly readAccounts: number;
  readonly only: ReadonlySet<Group>;
  readonly jsonPath: string | undefined;
}

function usage(message: string): never {
  console.error(`bench: ${message}\n(the BENCH_* settings are listed at the top of scripts/bench.ts)`);
  process.exit(2);
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^[0-9]+$/.test(text) || Number(text) < min) usage(`${name} must be a whole number of at least ${min}, not ${text}`);
  return Number(text);
}

function settingsFrom(env: NodeJS.ProcessEnv): Settings {
  const only = (env.BENCH_ONLY || GROUPS.join(',')).split(',').map((g) => g.trim());
  for (const group of only) if (!(GROUPS as readonly string[]).includes(group)) usage(`BENCH_ONLY takes ${GROUPS.join(', ')}, not ${group}`);
  return {
    seconds: whole(env, 'BENCH_SECONDS', 15, 1),
    concurrency: whole(env, 'BENCH_CONCURRENCY', 16, 1),
    accounts: whole(env, 'BENCH_ACCOUNTS', 1000, 2),
    serialWrites: whole(env, 'BENCH_SERIAL_WRITES', 1000, 1),
    batches: whole(env, 'BENCH_BATCHES', 30, 1),
    walletPostings: whole(env, 'BENCH_WALLET_POSTINGS', 100_000, WALLET_SMALL),
    walletWrites: whole(env, 'BENCH_WALLET_WRITES', 200, 1),
    reads: whole(env, 'BENCH_READS', 300, 10),
    readAccounts: whole(env, 'BENCH_READ_ACCOUNTS', 10_000, 2),
    only: new Set(only as Group[]),
    jsonPath: env.BENCH_JSON || undefined,
  };
}

// ---- measuring ----

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** A bar on stderr for a long phase: `done` of `total`. */
function bar(label: string, done: number, total: number): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\rbench: ${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}${done >= total ? '\n' : ''}`);
}

interface Latencies {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function latencies(samplesMs: readonly number[]): Latencies {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))] ?? NaN;
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
}

const randomBelow = (n: number) => Math.floor(Math.random() * n);
const cents = (n: number) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;

// ---- the service ----

/** The service under test, as `npm start` runs it, with an admin key. */
interface Service {
  readonly server: Server;
  readonly key: string;
  call(method: string, path: string, body?: unknown): Promise<Json>;
  head(ledgerId: string): Promise<number>;
}

async function startService(env: Record<string, string>): Promise<Service> {
  const key = `lk_bench_${randomBytes(18).toString('base64url')}`;
  const server = await startServer({ ...env, LEDGER_BOOTSTRAP_ADMIN_KEY: key });
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`, {
      method, headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await response.json()) as Json;
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(answer).slice(0, 300)}`);
    return answer;
  };
  return { server, key, call, head: async (ledgerId) => (await call('GET', `/v1/ledgers/${ledgerId}`)).head as number };
}

const authorization = (service: Service) => ({ Authorization: `Bearer ${service.key}` });

/** Opens a ledger with accounts `a-0 ...` (USD, alternately debit- and credit-normal), 16 at a time. */
async function openLedger(service: Service, ledgerId: string, accounts: number, extra: readonly Json[] = []): Promise<string[]> {
  await service.call('POST', '/v1/ledgers', { id: ledgerId, name: `bench ${ledgerId}` });
  const ids = Array.from({ length: accounts }, (_, i) => `a-${i}`);
  const bodies = [...ids.map((id, i) => ({ id, normalBalance: i % 2 === 0 ? 'debit' : 'credit', currency: 'USD' })), ...extra];
  await runLoad(service.server.port, authorization(service), 16, (i) => i < bodies.length ? { method: 'POST', path: `/v1/ledgers/${ledgerId}/accounts`, body: JSON.stringify(bodies[i]) } : null);
  return ids;
}

/** A transfer between two random accounts of `ids`, with an id. */
function transfer(id: string, ids: readonly string[], extra: Json = {}): Json {
  const from = randomBelow(ids.length);
  const to = (from + 1 + randomBelow(ids.length - 1)) % ids.length;
  const amount = cents(1 + randomBelow(999_999));
  return { id, ...extra, postings: [{ accountId: ids[from], direction: 'debit', amount }, { accountId: ids[to], direction: 'credit', amount }] };
}

/** Writes for `seconds` from `connections` clients; tx/s from the head's growth, and the CPU a write cost each process when `cpu` samples it. */
async function writeFor(service: Service, ledgerId: string, connections: number, seconds: number, body: (i: number) => Json, cpu?: () => CpuSample) {
  const before = await service.head(ledgerId);
  const cpuBefore = cpu?.();
  const endMs = performance.now() + seconds * 1000;
  const load = await runLoad(service.server.port, authorization(service), connections,
    (i) => ({ method: 'POST', path: `/v1/ledgers/${ledgerId}/transactions`, body: JSON.stringify(body(i)) }), () => performance.now() >= endMs);
  const cpuAfter = cpu?.();
  const recorded = (await service.head(ledgerId)) - before;
  return { txPerSecond: recorded / load.seconds, recorded, ...latencies(load.samplesMs), cpuMsPerWrite: cpuBefore && cpuAfter ? cpuPer(cpuBefore, cpuAfter, recorded) : null };
}

// ---- the figures ----

async function singleWrites(service: Service, settings: Settings, cpu: () => CpuSample) {
  const ids = await openLedger(service, 'bench-writes', settings.accounts);
  progress(`single writes: ${settings.concurrency} clients for ${settings.seconds} s (after 3 s of warm-up)`);
  await writeFor(service, 'bench-writes', settings.concurrency, 3, (i) => transfer(`warm-${i}`, ids));
  return writeFor(service, 'bench-writes', settings.concurrency, settings.seconds, (i) => transfer(`w-${i}`, ids), cpu);
}

async function serialWrites(service: Service, settings: Settings) {
  const ids = await openLedger(service, 'bench-serial', settings.accounts);
  progress(`one write at a time: ${settings.serialWrites}`);
  const load = await runLoad(service.server.port, authorization(service), 1,
    (i) => i < settings.serialWrites ? { method: 'POST', path: '/v1/ledgers/bench-serial/transactions', body: JSON.stringify(transfer(`s-${i}`, ids)) } : null);
  return latencies(load.samplesMs.slice(Math.min(50, load.samplesMs.length - 1)));
}

/** Sends `count` batches of 1000 with two in flight; tx/s from the head's growth. */
async function sendBatches(service: Service, ledgerId: string, count: number, items: (batch: number, item: number) => Json, label: string) {
  const before = await service.head(ledgerId);
  let done = 0;
  const load = await runLoad(service.server.port, authorization(service), 2, (b) => {
    if (b >= count) return null;
    bar(label, done++, count);
    return { method: 'POST', path: `/v1/ledgers/${ledgerId}/transactions/batch`, body: JSON.stringify({ transactions: Array.from({ length: BATCH_SIZE }, (_, i) => items(b, i)) }) } satisfies HttpRequest;
  });
  bar(label, count, count);
  const recorded = (await service.head(ledgerId)) - before;
  if (recorded !== count * BATCH_SIZE) throw new Error(`${label}: ${recorded} of ${count * BATCH_SIZE} recorded`);
  return { txPerSecond: recorded / load.seconds, recorded };
}

/** Batches of 1000, and the balance projector meanwhile: the most it fell behind, and how soon after the last batch it caught up. */
async function batches(service: Service, settings: Settings, projector: ProjectorWatch, cpu: () => CpuSample) {
  const ids = await openLedger(service, 'bench-batches', settings.accounts);
  await sendBatches(service, 'bench-batches', 2, (b, i) => transfer(`warm-${b}-${i}`, ids), 'batches, warm-up');
  await projector.caughtUpMs();
  const cpuBefore = cpu();
  const { result, maxLagEvents } = await projector.maxLagWhile(
    sendBatches(service, 'bench-batches', settings.batches, (b, i) => transfer(`b-${b}-${i}`, ids), `batches of ${BATCH_SIZE}`));
  const projectorCaughtUpMs = await projector.caughtUpMs();
  // With the projector's work on them, up to its catching up.
  const cpuMsPerTx = cpuPer(cpuBefore, cpu(), result.recorded);
  return { ...result, projectorMaxLagEvents: maxLagEvents, projectorCaughtUpMs, cpuMsPerTx };
}

/** A ledger whose noOverdraft `wallet` has `postings` postings, funded over the past year. */
async function loadWallet(service: Service, ledgerId: string, postings: number) {
  await openLedger(service, ledgerId, 0, [
    { id: 'funding', normalBalance: 'debit', currency: 'USD' },
    { id: 'wallet', normalBalance: 'credit', currency: 'USD', noOverdraft: true },
    { id: 'shop', normalBalance: 'credit', currency: 'USD' },
  ]);
  const nowMs = Date.now();
  const fund = (b: number, i: number): Json => {
    const amount = cents(100 + randomBelow(9_900));
    const effectiveAt = new Date(nowMs - 365 * DAY_MS + randomBelow(364 * DAY_MS)).toISOString();
    return { id: `fund-${b}-${i}`, effectiveAt, postings: [{ accountId: 'funding', direction: 'debit', amount }, { accountId: 'wallet', direction: 'credit', amount }] };
  };
  return sendBatches(service, ledgerId, Math.ceil(postings / BATCH_SIZE), fund, `loading ${postings.toLocaleString('en-US')} wallet postings`);
}

async function wallets(service: Service, settings: Settings) {
  await loadWallet(service, 'bench-wallet-small', WALLET_SMALL);
  const load = await loadWallet(service, 'bench-wallet-big', settings.walletPostings);
  progress(`noOverdraft writes: ${settings.walletWrites} to each wallet, dated now and backdated by 1 to 5 days, one at a time`);
  const samples: Record<'small' | 'big', Record<'now' | 'backdated', number[]>> = { small: { now: [], backdated: [] }, big: { now: [], backdated: [] } };
  const plan = Array.from({ length: settings.walletWrites * 4 }, (_, i) => ({
    size: i % 2 === 0 ? 'small' as const : 'big' as const, dated: i % 4 < 2 ? 'now' as const : 'backdated' as const, n: i,
  }));
  const spend = (p: (typeof plan)[number]): HttpRequest => {
    const effectiveAt = p.dated === 'now' ? {} : { effectiveAt: new Date(Date.now() - (1 + randomBelow(4)) * DAY_MS - randomBelow(DAY_MS)).toISOString() };
    const body = { id: `spend-${p.n}`, ...effectiveAt, postings: [{ accountId: 'wallet', direction: 'debit', amount: '0.01' }, { accountId: 'shop', direction: 'credit', amount: '0.01' }] };
    return { method: 'POST', path: `/v1/ledgers/bench-wallet-${p.size}/transactions`, body: JSON.stringify(body) };
  };
  const started: number[] = [];
  const result = await runLoad(service.server.port, authorization(service), 1, (i) => {
    if (i >= plan.length) return null;
    started.push(i);
    return spend(plan[i]!);
  });
  result.samplesMs.forEach((ms, i) => samples[plan[started[i]!]!.size][plan[started[i]!]!.dated].push(ms));
  return {
    loadTxPerSecond: load.txPerSecond,
    small: { now: latencies(samples.small.now), backdated: latencies(samples.small.backdated) },
    big: { now: latencies(samples.big.now), backdated: latencies(samples.big.backdated) },
  };
}

/**
 * The restatements report over one batch's commit (1,000 entries) of the big wallet: its first
 * and its last, so that the two differ only in the history before them.
 */
async function restatementWindows(service: Service, settings: Settings) {
  const recordedAt = async (position: number) => encodeURIComponent(
    ((await service.call('GET', `/v1/ledgers/bench-wallet-big/events?after=${position - 1}&limit=1`)).events[0] as Json).recordedAt as string);
  const window = async (firstPosition: number) => {
    const from = await recordedAt(firstPosition - 1);
    const to = await recordedAt(firstPosition);
    return oneAtATime(service, 20, () => ({ method: 'GET', path: `/v1/ledgers/bench-wallet-big/restatements?recordedFrom=${from}&recordedTo=${to}` }));
  };
  // The ledger and its three accounts at 1 to 4, then the load's batches of 1000.
  const lastBatch = 5 + (Math.ceil(settings.walletPostings / BATCH_SIZE) - 1) * BATCH_SIZE;
  return { first: await window(5), last: await window(lastBatch) };
}

/** `npm run rebuild` on the bench's database (the service stopped): events per second. */
async function rebuildRate(databaseUrl: string) {
  progress('npm run rebuild: every read model, checkpoints included, from the log');
  const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'scripts/rebuild.ts')], { env: { ...process.env, DATABASE_URL: databaseUrl }, maxBuffer: 1 << 24 });
  const figures = /from ([0-9]+) events in ([0-9.]+) s/.exec(stdout);
  if (!figures) throw new Error(`npm run rebuild printed no figures: ${stdout}`);
  return { events: Number(figures[1]), eventsPerSecond: Number(figures[1]) / Number(figures[2]) };
}

/** Latencies of `count` requests sent one at a time. */
async function oneAtATime(service: Service, count: number, request: (i: number) => HttpRequest): Promise<Latencies> {
  const load = await runLoad(service.server.port, authorization(service), 1, (i) => (i < count ? request(i) : null));
  return latencies(load.samplesMs);
}

/**
 * A random read coordinate of a ledger: R between the event at `position` (its last account
 * opened, so that every account exists at R) and now, E within the past year (or a day ahead).
 */
async function randomAsOf(service: Service, ledgerId: string, position: number): Promise<() => string> {
  const first = (await service.call('GET', `/v1/ledgers/${ledgerId}/events?after=${position - 1}&limit=1`)).events[0] as Json;
  const firstMs = Date.parse(first.recordedAt as string) + 1; // recorded times have microseconds, Date has not
  const nowMs = Date.now();
  return () => {
    const recordedAsOf = new Date(firstMs + randomBelow(nowMs - firstMs + 1)).toISOString();
    const effectiveAsOf = new Date(nowMs - 365 * DAY_MS + randomBelow(366 * DAY_MS)).toISOString();
    return `recordedAsOf=${recordedAsOf}&effectiveAsOf=${effectiveAsOf}`;
  };
}

/**
 * Reads, as issue 14 counts them: balances at random (R, E) of the wallets (1,000 postings and
 * BENCH_WALLET_POSTINGS), the ledger, balance reads from 16 clients, a trial balance over
 * BENCH_READ_ACCOUNTS accounts (5 transactions each), a statement page, 365 days of balance
 * history and feed pages of 1,000.
 */
async function reads(service: Service, settings: Settings, walletsLoaded: boolean, projector: ProjectorWatch, cpu: () => CpuSample) {
  if (!walletsLoaded) {
    await loadWallet(service, 'bench-wallet-small', WALLET_SMALL);
    await loadWallet(service, 'bench-wallet-big', settings.walletPostings);
  }
  // Reads use what the projector built: it is current by now (the loads above take minutes).
  const projectorCaughtUpMs = await projector.caughtUpMs();
  // The ledger at 1, its three accounts at 2 to 4.
  const small = await randomAsOf(service, 'bench-wallet-small', 4);
  const big = await randomAsOf(service, 'bench-wallet-big', 4);
  const balance = (size: 'small' | 'big', asOf: string): HttpRequest => ({ method: 'GET', path: `/v1/ledgers/bench-wallet-${size}/accounts/wallet/balance?${asOf}` });
  progress(`reads: ${settings.reads} of each kind, one at a time`);
  const balanceSmall = await oneAtATime(service, settings.reads, () => balance('small', small()));
  const balanceBig = await oneAtATime(service, settings.reads, () => balance('big', big()));
  const ledger = await oneAtATime(service, settings.reads, () => ({ method: 'GET', path: '/v1/ledgers/bench-wallet-big' }));
  const statement = await oneAtATime(service, settings.reads, () => ({ method: 'GET', path: `/v1/ledgers/bench-wallet-big/accounts/wallet/entries?limit=100&${big().replace('effectiveAsOf', 'effectiveTo')}` }));
  const history = await oneAtATime(service, Math.min(settings.reads, 50), () => {
    const effectiveTo = new Date(Date.now() - randomBelow(30) * DAY_MS);
    const effectiveFrom = new Date(effectiveTo.getTime() - 364 * DAY_MS).toISOString().slice(0, 10);
    return { method: 'GET', path: `/v1/ledgers/bench-wallet-big/accounts/wallet/balance-history?interval=day&effectiveFrom=${effectiveFrom}&effectiveTo=${effectiveTo.toISOString().slice(0, 10)}` };
  });
  progress(`balance reads: ${settings.concurrency} clients for ${settings.seconds} s`);
  const endMs = performance.now() + settings.seconds * 1000;
  const cpuBefore = cpu();
  const concurrent = await runLoad(service.server.port, authorization(service), settings.concurrency, () => balance('small', small()), () => performance.now() >= endMs);
  const concurrentCpuMs = cpuPer(cpuBefore, cpu(), concurrent.answered);
  const feedPages = Math.min(100, Math.floor(settings.walletPostings / 1000));
  const feed = await runLoad(service.server.port, authorization(service), 1, (i) => (i < feedPages ? { method: 'GET', path: `/v1/ledgers/bench-wallet-big/events?limit=1000&after=${i * 1000}` } : null));
  // The trial balance's ledger: BENCH_READ_ACCOUNTS accounts, five transactions each (in batches).
  const ids = await openLedger(service, 'bench-reads', settings.readAccounts);
  const transfers = Math.ceil((settings.readAccounts * 5) / BATCH_SIZE);
  await sendBatches(service, 'bench-reads', transfers, (b, i) => transfer(`r-${b}-${i}`, ids, { effectiveAt: new Date(Date.now() - randomBelow(365 * DAY_MS)).toISOString() }), 'the trial balance\'s transactions');
  const trialAsOf = await randomAsOf(service, 'bench-reads', 1 + settings.readAccounts);
  const trialCheck = await service.call('GET', `/v1/ledgers/bench-reads/balances?${trialAsOf()}`);
  if ((trialCheck.accounts as unknown[]).length !== settings.readAccounts) throw new Error(`the trial balance answered ${(trialCheck.accounts as unknown[]).length} accounts of ${settings.readAccounts}`);
  const trial = await oneAtATime(service, 20, () => ({ method: 'GET', path: `/v1/ledgers/bench-reads/balances?${trialAsOf()}` }));
  const restatements = await restatementWindows(service, settings);
  progress('the event stream: 200 writes one at a time while a client follows the stream');
  await openLedger(service, 'bench-stream', 2);
  const stream = await streamDelivery(service.server.port, service.key, 'bench-stream', await service.head('bench-stream'), 200, () => transfer('', ['a-0', 'a-1']));
  return {
    balanceSmall, balanceBig, ledger, statement, history, trial, restatements, projectorCaughtUpMs,
    streamDelivery: latencies(stream.samplesMs),
    concurrentReadsPerSecond: concurrent.answered / concurrent.seconds,
    concurrentCpuMs,
    feedEventsPerSecond: (feedPages * 1000) / feed.seconds,
  };
}

/** Peak resident memory of a process so far (VmHWM), in MiB. */
async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+([0-9]+) kB/.exec(status)![1]) / 1024;
}

async function embedded(settings: Settings) {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-bench-pglite-'));
  try {
    progress('embedded (PGlite): a cold start on a new data directory, then the first 200 writes');
    const startedMs = performance.now();
    const service = await startService({ DATA_DIR: join(dir, 'data') });
    const listeningS = (performance.now() - startedMs) / 1000;
    try {
      const ids = await openLedger(service, 'bench-pglite', 100);
      await runLoad(service.server.port, authorization(service), settings.concurrency, (i) => i < 200 ? { method: 'POST', path: '/v1/ledgers/bench-pglite/transactions', body: JSON.stringify(transfer(`first-${i}`, ids)) } : null);
      const firstWritesS = (performance.now() - startedMs) / 1000;
      progress(`embedded single writes: ${settings.concurrency} clients for ${settings.seconds} s`);
      const writes = await writeFor(service, 'bench-pglite', settings.concurrency, settings.seconds, (i) => transfer(`w-${i}`, ids));
      const peak = await peakRssMiB(service.server.pid);
      const asOf = await randomAsOf(service, 'bench-pglite', 1 + ids.length);
      const balanceRead = await oneAtATime(service, settings.reads, (i) => ({ method: 'GET', path: `/v1/ledgers/bench-pglite/accounts/${ids[i % ids.length]}/balance?${asOf()}` }));
      return { listeningS, firstWritesS, writes, peakRssMiB: peak, balanceRead };
    } finally {
      await service.server.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ---- the run ----

interface Results {
  baseline?: { before: number; after: number; mean: number; cpuMsPerTx?: CpuSample; oneAtATime?: Latencies };
  writes?: Awaited<ReturnType<typeof singleWrites>>;
  serial?: Latencies;
  batches?: Awaited<ReturnType<typeof batches>>;
  wallets?: Awaited<ReturnType<typeof wallets>>;
  reads?: Awaited<ReturnType<typeof reads>>;
  rebuild?: Awaited<ReturnType<typeof rebuildRate>>;
  peakRssMiB?: number;
  embedded?: Awaited<ReturnType<typeof embedded>>;
}

async function measure(settings: Settings): Promise<Results> {
  const results: Results = {};
  const wants = (group: Group) => settings.only.has(group);
  if (!GROUPS.filter((g) => g !== 'pglite').some(wants)) return { ...results, embedded: await embedded(settings) };
  progress('starting a durable PostgreSQL of its own (fsync, synchronous_commit, full_page_writes on)');
  const cluster = await privateCluster({ PG_TEST_DURABLE: '1' });
  try {
    const databaseUrl = await cluster.script('start');
    progress(`its data directory: ${cluster.env.PG_TEST_DIR!} (port ${cluster.env.PG_TEST_PORT!})`);
    const postmaster = postmasterPid(cluster.env.PG_TEST_DIR!);
    let baseline: Baseline | undefined;
    if (wants('baseline')) {
      baseline = await openBaseline(databaseUrl, baselineDir(ROOT, process.env), (name) => cluster.script('sql', `create database ${name} owner ledger`).then(() => {}));
      progress(`baseline: pgbench, ${settings.concurrency} clients, ${settings.seconds} s`);
      // pgbench is this process's child: its CPU is in the client's, once reaped.
      const cpu = cpuMeter(process.pid, postmaster);
      const cpuBefore = cpu();
      const before = await baseline.run(settings.seconds, settings.concurrency);
      // pgbench's backends exit with it, and their CPU reaches the postmaster's only once it has
      // reaped them: read too soon, most of it was missing (0.08 and 0.28 ms a transfer, against
      // 0.41 to 0.58 measured after a pause).
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const cpuMsPerTx = cpuPer(cpuBefore, cpu(), before * settings.seconds);
      results.baseline = { before, after: NaN, mean: before, cpuMsPerTx: { ...cpuMsPerTx, api: 0 } };
      if (wants('serial')) {
        progress('baseline: pgbench, one client, 5 s');
        results.baseline = { ...results.baseline, oneAtATime: latencies(await baseline.runOneAtATime(5)) };
      }
    }
    const service = await startService({ DATABASE_URL: databaseUrl });
    const projector = watchProjector(databaseUrl);
    try {
      if (wants('writes')) results.writes = await singleWrites(service, settings, cpuMeter(service.server.pid, postmaster));
      if (baseline && results.baseline) {
        progress('baseline again');
        const after = await baseline.run(settings.seconds, settings.concurrency);
        results.baseline = { ...results.baseline, after, mean: (results.baseline.before + after) / 2 };
      }
      if (wants('serial')) results.serial = await serialWrites(service, settings);
      if (wants('batches')) results.batches = await batches(service, settings, projector, cpuMeter(service.server.pid, postmaster));
      if (wants('wallet')) results.wallets = await wallets(service, settings);
      results.peakRssMiB = await peakRssMiB(service.server.pid);
      if (wants('reads')) results.reads = await reads(service, settings, wants('wallet'), projector, cpuMeter(service.server.pid, postmaster));
    } finally {
      await projector.close();
      await service.server.stop();
    }
    if (wants('reads')) results.rebuild = await rebuildRate(databaseUrl);
  } finally {
    await removeAllClusters();
  }
  if (wants('pglite')) results.embedded = await embedded(settings);
  return results;
}

// ---- the report ----

interface Row {
  readonly figure: string;
  readonly measured: string;
  readonly target: string;
  readonly met: string;
}

const tx = (n: number) => `${Math.round(n).toLocaleString('en-US')} tx/s`;
const ms = (n: number) => `${n.toFixed(1)} ms`;
const times = (n: number) => `${n.toFixed(2)}x`;
const yes = (ok: boolean) => (ok ? 'yes' : 'no');
/** CPU ms an operation by process, and the rate the machine's cores would allow at that cost. */
const cpuRow = (c: CpuSample) => {
  const parts = c.api > 0 ? [c.client, c.api, c.postgres] : [c.client, c.postgres];
  return `${parts.map((p) => p.toFixed(2)).join(' / ')} ms (${tx((cpus().length * 1000) / (c.client + c.api + c.postgres))})`;
};

function rows(r: Results, settings: Settings): Row[] {
  const out: Row[] = [];
  const row = (figure: string, measured: string, target = '', met = '') => out.push({ figure, measured, target, met });
  if (r.baseline) row('baseline: pgbench transfers (before / after)', `${tx(r.baseline.mean)} (${tx(r.baseline.before)} / ${tx(r.baseline.after)})`);
  if (r.writes) {
    const ratio = r.baseline ? r.writes.txPerSecond / r.baseline.mean : NaN;
    row(`single writes, ${settings.concurrency} clients, ratio to the baseline`, `${tx(r.writes.txPerSecond)}, ${times(ratio)}`, '>= 1.2x', yes(ratio >= 1.2));
    row('  latency p50 / p99', `${ms(r.writes.p50Ms)} / ${ms(r.writes.p99Ms)}`);
    if (r.baseline?.cpuMsPerTx) row('  CPU a transfer, baseline: pgbench / PostgreSQL (all cores: at most)', cpuRow(r.baseline.cpuMsPerTx));
    if (r.writes.cpuMsPerWrite) row('  CPU a write: load client / API / PostgreSQL (all cores: at most)', cpuRow(r.writes.cpuMsPerWrite));
  }
  if (r.serial) row('one write at a time: p50 / p99', `${ms(r.serial.p50Ms)} / ${ms(r.serial.p99Ms)}`, 'p50 <= 2 ms', yes(r.serial.p50Ms <= 2));
  const pgbenchAlone = r.baseline?.oneAtATime;
  if (pgbenchAlone) row('  baseline: pgbench transfers one at a time, p50 / p99', `${ms(pgbenchAlone.p50Ms)} / ${ms(pgbenchAlone.p99Ms)}`);
  if (r.batches) {
    row('batches of 1000, 2 in flight', tx(r.batches.txPerSecond), '>= 20,000 tx/s', yes(r.batches.txPerSecond >= 20_000));
    row('  CPU a transaction, the projector\'s included: load client / API / PostgreSQL (all cores: at most)', cpuRow(r.batches.cpuMsPerTx));
    const behindS = r.batches.projectorMaxLagEvents / r.batches.txPerSecond;
    row('  balance projector: most behind during them; caught up after the last', `${r.batches.projectorMaxLagEvents.toLocaleString('en-US')} events (${behindS.toFixed(2)} s of them); ${ms(r.batches.projectorCaughtUpMs)}`, 'lag < 1 s', yes(behindS < 1 && r.batches.projectorCaughtUpMs < 1000));
  }
  if (r.wallets) {
    const w = r.wallets;
    const big = settings.walletPostings.toLocaleString('en-US');
    for (const dated of ['now', 'backdated'] as const) {
      const ratio = w.big[dated].p50Ms / w.small[dated].p50Ms;
      row(`noOverdraft write dated ${dated}: p50 at 1,000 / ${big} postings`, `${ms(w.small[dated].p50Ms)} / ${ms(w.big[dated].p50Ms)}, ${times(ratio)}`, '<= 1.5x', yes(ratio <= 1.5));
      row(`  p99 at ${big}`, ms(w.big[dated].p99Ms), '<= 25 ms', yes(w.big[dated].p99Ms <= 25));
    }
    row(`  loading the wallet (batches)`, tx(w.loadTxPerSecond));
  }
  if (r.reads) {
    const d = r.reads;
    const big = settings.walletPostings.toLocaleString('en-US');
    const p50 = (l: Latencies) => `p50 ${ms(l.p50Ms)}`;
    row('balance at random (R, E), 1,000 postings, one at a time', `${p50(d.balanceSmall)}, p99 ${ms(d.balanceSmall.p99Ms)}`, 'p50 <= 1.5 ms', yes(d.balanceSmall.p50Ms <= 1.5));
    const ratio = d.balanceBig.p50Ms / d.balanceSmall.p50Ms;
    row(`  the same at ${big} postings`, `${p50(d.balanceBig)}, ${times(ratio)}`, '<= 1.5x', yes(ratio <= 1.5));
    row(`  p99 at ${big}`, ms(d.balanceBig.p99Ms), '<= 10 ms', yes(d.balanceBig.p99Ms <= 10));
    row('GET /v1/ledgers/{id}', p50(d.ledger), '<= 1 ms', yes(d.ledger.p50Ms <= 1));
    row(`balance reads, ${settings.concurrency} clients`, `${Math.round(d.concurrentReadsPerSecond).toLocaleString('en-US')} reads/s`, '>= 5,000 reads/s', yes(d.concurrentReadsPerSecond >= 5000));
    row('  CPU a read: load client / API / PostgreSQL (all cores: at most)', cpuRow(d.concurrentCpuMs).replace(' tx/s', ' reads/s'));
    row(`trial balance, ${settings.readAccounts.toLocaleString('en-US')} accounts, random (R, E)`, p50(d.trial), '<= 250 ms', yes(d.trial.p50Ms <= 250));
    row(`first statement page of 100, ${big} postings, random (R, E)`, p50(d.statement), '<= 20 ms', yes(d.statement.p50Ms <= 20));
    row(`balance-history, 365 days, ${big} postings`, p50(d.history), '<= 50 ms', yes(d.history.p50Ms <= 50));
    row('feed pages of 1,000', `${Math.round(d.feedEventsPerSecond).toLocaleString('en-US')} events/s`, '>= 50,000 events/s', yes(d.feedEventsPerSecond >= 50_000));
    row('event stream (SSE): a write\'s answer to its event, p50 / p99', `${ms(d.streamDelivery.p50Ms)} / ${ms(d.streamDelivery.p99Ms)}`, 'p99 <= 50 ms', yes(d.streamDelivery.p99Ms <= 50));
    const restated = d.restatements.last.p50Ms / d.restatements.first.p50Ms;
    row(`restatements over 1,000 entries: first batch / last (after ${big} postings)`, `${p50(d.restatements.first)} / ${p50(d.restatements.last)}, ${times(restated)}`, 'the window, not the history', yes(restated <= 1.5));
  }
  if (r.rebuild) {
    row(`npm run rebuild, ${r.rebuild.events.toLocaleString('en-US')} events`, `${Math.round(r.rebuild.eventsPerSecond).toLocaleString('en-US')} events/s`, '>= 20,000 events/s', yes(r.rebuild.eventsPerSecond >= 20_000));
  }
  if (r.peakRssMiB !== undefined) row('API process peak RSS (PostgreSQL, after the write load)', `${r.peakRssMiB.toFixed(0)} MiB`, '<= 300 MiB', yes(r.peakRssMiB <= 300));
  if (r.embedded) {
    const e = r.embedded;
    row('embedded: cold start to listening / to the first 200 writes', `${e.listeningS.toFixed(2)} s / ${e.firstWritesS.toFixed(2)} s`, '<= 2 s', yes(e.firstWritesS <= 2));
    row(`embedded: single writes, ${settings.concurrency} clients`, tx(e.writes.txPerSecond), '>= 1,000 tx/s', yes(e.writes.txPerSecond >= 1000));
    row('embedded: API process peak RSS', `${e.peakRssMiB.toFixed(0)} MiB`, '<= 300 MiB', yes(e.peakRssMiB <= 300));
    row('embedded: balance at random (R, E), one at a time', `p50 ${ms(e.balanceRead.p50Ms)}`, '<= 1.5 ms', yes(e.balanceRead.p50Ms <= 1.5));
  }
  return out;
}

function printTable(table: readonly Row[]): void {
  const header: Row = { figure: 'figure', measured: 'measured', target: 'target', met: 'met' };
  const columns = ['figure', 'measured', 'target', 'met'] as const;
  const widths = columns.map((c) => Math.max(...[header, ...table].map((r) => r[c].length)));
  const line = (r: Row) => columns.map((c, i) => r[c].padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(['', line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...table.map(line)].join('\n'));
  console.log(`\n${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}) shared by the clients, the service and PostgreSQL: compare ratios, not absolute figures, across machines.`);
}

/**
 * The service is measured as `npm start` runs it after `npm install`: from the bundle that
 * install builds. After an edit without a new install, start.js would run the sources instead
 * (about 0.3 s more to listen, 30-40 MiB more RSS): the bundle is built again first.
 */
async function bundleBuilt(): Promise<void> {
  if ((bundleIsCurrent as (bundle: URL, root: URL) => boolean)(new URL('build/server/', `file://${ROOT}`), new URL(`file://${ROOT}`))) return;
  progress('the server bundle is older than the sources: building it, as npm install does');
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts/build-server.ts')], { maxBuffer: 1 << 24 });
}

const settings = settingsFrom(process.env);
try {
  await bundleBuilt();
  const results = await measure(settings);
  const table = rows(results, settings);
  printTable(table);
  if (settings.jsonPath) {
    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, platform: `${platform()} ${release()}`, node: process.version };
    writeFileSync(settings.jsonPath, `${JSON.stringify({ date: new Date().toISOString(), machine, settings: { ...settings, only: [...settings.only] }, results, table }, null, 2)}\n`);
  }
} catch (error) {
  console.error(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  await removeAllClusters().catch(() => {});
  process.exit(1);
}
