// Benchmarks that print figures (never a pass or fail): the service against a raw-SQL baseline
// on the same PostgreSQL, in one run, so the ratios hold on a shared, noisy machine.
//   DATABASE_URL=postgres://... npm run bench
//
// It creates fresh databases beside DATABASE_URL's (its user needs CREATEDB) and drops them at
// the end; the URL's own database is never touched. It starts the real server
// (node src/entry/node.ts) as a child process with LEDGER_RATE_LIMIT=0.
//
//   1. baseline: raw-SQL double-entry transfers (pgledger style: one transaction inserts a
//      transfer and two entries and updates two account balances, accounts locked in id order)
//      through the `postgres` driver with C concurrent clients, N transfers, run just before and
//      just after the service's single writes (drift shows): tx/s, and their mean.
//   2. single writes: N POST .../transactions over HTTP (keep-alive) with C concurrent clients:
//      tx/s, p50/p99 latency, and the ratio to the baseline's mean (target >= 1.2).
//   3. batches: M POST .../transactions/batch of 1000, non-atomic and atomic: tx/s (target 20,000).
//   4. as-of balance reads: one account with 1,000 postings and one with K, loaded through the
//      batch endpoint with effective times spread over a year; R reads of each at random
//      (recordedAsOf, effectiveAsOf), interleaved: mean/p99 latency and big/small mean (target ~1;
//      "met" at 1.5 or less).
//
// Environment (defaults finish in a few minutes on 2 cores):
//   DATABASE_URL             PostgreSQL, required (exit 2 without it)
//   BENCH_CONCURRENCY        C, concurrent clients for single writes           default 16
//   BENCH_WRITES             N, timed single writes, baseline and service      default 5000
//   BENCH_WARMUP             untimed single writes before each timed run       default 500
//   BENCH_ACCOUNTS           accounts the transfers pick random pairs from     default 100
//   BENCH_BATCHES            M, timed batches of 1000 per mode                 default 20
//   BENCH_BATCH_CONCURRENCY  batches in flight at once                         default 2
//   BENCH_POSTINGS           K, postings on the big account (1000000: target)  default 100000
//   BENCH_READS              R, timed balance reads per account                default 200
//   BENCH_JSON               a path: also write the results there as JSON
//
// Exits 0 whatever the figures are, 1 on an error (such as a non-2xx answer), 2 on bad settings.
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, platform, release } from 'node:os';
import postgres from 'postgres';
import { startServer, type Server } from '../test/support/server.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Settings {
  readonly databaseUrl: string;
  readonly concurrency: number;
  readonly writeCount: number;
  readonly warmupWriteCount: number;
  readonly accountCount: number;
  readonly batchCount: number;
  readonly batchConcurrency: number;
  readonly postingCountBig: number;
  readonly readCount: number;
  readonly jsonPath: string | undefined;
}

const BATCH_SIZE = 1000;
const POSTINGS_SMALL = 1000;
const TARGET_WRITE_RATIO = 1.2;
const TARGET_BATCH_TX_PER_SECOND = 20_000;
/** Reads count as flat when the big account's mean latency is at most this many times the small one's. */
const FLAT_READ_RATIO_MAX = 1.5;
const ADMIN_KEY = `lk_bench_${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
const DAY_MS = 86_400_000;

function usage(message: string): never {
  console.error(`${message}\nusage: DATABASE_URL=postgres://... npm run bench (BENCH_* variables: see the header of scripts/bench.ts)`);
  process.exit(2);
}

function wholeFrom(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (!/^[0-9]+$/.test(text) || Number(text) < min) usage(`${name} must be a whole number of at least ${min}, not ${text}`);
  return Number(text);
}

function settingsFrom(env: NodeJS.ProcessEnv): Settings {
  if (!env.DATABASE_URL) usage('npm run bench needs DATABASE_URL: a PostgreSQL whose user may create databases');
  return {
    databaseUrl: env.DATABASE_URL,
    concurrency: wholeFrom(env, 'BENCH_CONCURRENCY', 16, 1),
    writeCount: wholeFrom(env, 'BENCH_WRITES', 5000, 1),
    warmupWriteCount: wholeFrom(env, 'BENCH_WARMUP', 500, 0),
    accountCount: wholeFrom(env, 'BENCH_ACCOUNTS', 100, 2),
    batchCount: wholeFrom(env, 'BENCH_BATCHES', 20, 1),
    batchConcurrency: wholeFrom(env, 'BENCH_BATCH_CONCURRENCY', 2, 1),
    postingCountBig: wholeFrom(env, 'BENCH_POSTINGS', 100_000, POSTINGS_SMALL),
    readCount: wholeFrom(env, 'BENCH_READS', 200, 1),
    jsonPath: env.BENCH_JSON || undefined,
  };
}

// ---- measuring ----

interface Latencies {
  readonly latencyMsMean: number;
  readonly latencyMsP50: number;
  readonly latencyMsP99: number;
}

function latenciesOf(samplesMs: readonly number[]): Latencies {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!;
  return { latencyMsMean: sorted.reduce((sum, ms) => sum + ms, 0) / sorted.length, latencyMsP50: at(0.5), latencyMsP99: at(0.99) };
}

interface Run {
  readonly txPerSecond: number;
  readonly latencies: Latencies;
}

/** Runs `work(0 .. count-1)` with `concurrency` in flight; `txPerUnit` transactions per call. */
async function runConcurrently(count: number, concurrency: number, work: (index: number) => Promise<void>, txPerUnit = 1): Promise<Run> {
  const samplesMs: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const startedMs = performance.now();
      await work(index);
      samplesMs.push(performance.now() - startedMs);
    }
  };
  const startedMs = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const seconds = (performance.now() - startedMs) / 1000;
  return { txPerSecond: (count * txPerUnit) / seconds, latencies: latenciesOf(samplesMs) };
}

interface Transfer {
  readonly from: string;
  readonly to: string;
  readonly amount: string;
}

function randomBelow(n: number): number {
  return Math.floor(Math.random() * n);
}

function randomAmount(): string {
  return `${1 + randomBelow(9999)}.${String(randomBelow(100)).padStart(2, '0')}`;
}

/** Two distinct accounts out of `accountIds` and an amount with two fraction digits. */
function randomTransfer(accountIds: readonly string[]): Transfer {
  const from = randomBelow(accountIds.length);
  const to = (from + 1 + randomBelow(accountIds.length - 1)) % accountIds.length;
  return { from: accountIds[from]!, to: accountIds[to]!, amount: randomAmount() };
}

// ---- databases ----

interface ScratchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/** A new, empty database beside DATABASE_URL's, as test/support/private-database.ts makes them. */
async function createScratchDatabase(admin: postgres.Sql, databaseUrl: string, label: string): Promise<ScratchDatabase> {
  const name = `ledger_bench_${label}_${process.pid}_${Date.now().toString(36)}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => dropDatabase(admin, name) };
}

/**
 * Drops a scratch database. A backend that has not finished exiting (the server's, or an
 * autovacuum worker's) can make a forced drop fail for a moment: try again for a few seconds.
 */
async function dropDatabase(admin: postgres.Sql, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      return;
    } catch (error) {
      if (attempt === 10) throw new Error(`could not drop the scratch database ${name}: ${(error as Error).message}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

// ---- 1. the raw-SQL baseline ----

// What a careful engineer writes without the service (pgledger's layout and create_transfer):
// balances kept on the account rows, both rows locked in id order so transfers never deadlock,
// the whole transfer one function call: one round trip, one transaction.
const BASELINE_SCHEMA = `
create table accounts (
  id text primary key, currency text not null, balance numeric not null default 0, version bigint not null default 0
);
create table transfers (
  id bigserial primary key, from_account_id text not null references accounts, to_account_id text not null references accounts,
  amount numeric not null check (amount > 0), created_at timestamptz not null default now()
);
create table entries (
  id bigserial primary key, account_id text not null references accounts, transfer_id bigint not null references transfers,
  amount numeric not null, account_previous_balance numeric not null, account_current_balance numeric not null,
  account_version bigint not null, created_at timestamptz not null default now()
);
create index entries_by_account on entries (account_id, id);
create function create_transfer(p_from text, p_to text, p_amount numeric) returns bigint language plpgsql as $$
declare
  v_transfer_id bigint;
  v_from accounts;
  v_to accounts;
begin
  perform 1 from accounts where id in (p_from, p_to) order by id for update;
  update accounts set balance = balance - p_amount, version = version + 1 where id = p_from returning * into v_from;
  update accounts set balance = balance + p_amount, version = version + 1 where id = p_to returning * into v_to;
  insert into transfers (from_account_id, to_account_id, amount) values (p_from, p_to, p_amount) returning id into v_transfer_id;
  insert into entries (account_id, transfer_id, amount, account_previous_balance, account_current_balance, account_version)
  values (p_from, v_transfer_id, -p_amount, v_from.balance + p_amount, v_from.balance, v_from.version),
         (p_to, v_transfer_id, p_amount, v_to.balance - p_amount, v_to.balance, v_to.version);
  return v_transfer_id;
end $$;`;

interface Baseline {
  run(): Promise<Run>;
  close(): Promise<void>;
}

/** The baseline's tables and accounts in their own database, warmed up; each `run` times N transfers. */
async function openBaseline(url: string, settings: Settings): Promise<Baseline> {
  const sql = postgres(url, { max: settings.concurrency, onnotice: () => {} });
  await sql.unsafe(BASELINE_SCHEMA);
  const accountIds = Array.from({ length: settings.accountCount }, (_, i) => `acct-${i}`);
  await sql`insert into accounts ${sql(accountIds.map((id) => ({ id, currency: 'USD' })))}`;
  const transfer = async () => {
    const { from, to, amount } = randomTransfer(accountIds);
    await sql`select create_transfer(${from}, ${to}, ${amount}::numeric)`;
  };
  await runConcurrently(settings.warmupWriteCount, settings.concurrency, transfer);
  return { run: () => runConcurrently(settings.writeCount, settings.concurrency, transfer), close: () => sql.end() };
}

// ---- the service over HTTP ----

interface Client {
  call(method: string, path: string, body?: unknown): Promise<Json>;
  close(): void;
}

/** JSON over keep-alive HTTP (node:http: less client CPU than fetch on a machine shared with the server). */
function httpClient(port: number, key: string, maxSockets: number): Client {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const call = (method: string, path: string, body?: unknown) => new Promise<Json>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Authorization: `Bearer ${key}` };
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    const sent = request({ host: '127.0.0.1', port, method, path, agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = response.statusCode ?? 0;
        if (status < 200 || status > 299) reject(new Error(`${method} ${path} answered ${status}: ${text.slice(0, 500)}`));
        else resolve(JSON.parse(text) as Json);
      });
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end(payload);
  });
  return { call, close: () => agent.destroy() };
}

/** A ledger with `count` USD accounts `acct-0 ...`, half debit-normal and half credit-normal. */
async function openLedger(client: Client, ledgerId: string, count: number): Promise<string[]> {
  await client.call('POST', '/v1/ledgers', { id: ledgerId, name: `bench ${ledgerId}` });
  const accountIds = Array.from({ length: count }, (_, i) => `acct-${i}`);
  for (const [i, id] of accountIds.entries()) {
    await client.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { id, normalBalance: i % 2 === 0 ? 'debit' : 'credit', currency: 'USD' });
  }
  return accountIds;
}

function transactionBody({ from, to, amount }: Transfer, extra: Json = {}): Json {
  return { ...extra, postings: [{ accountId: from, direction: 'credit', amount }, { accountId: to, direction: 'debit', amount }] };
}

/** Every item of a batch answer must have been recorded (201); anything else is an error. */
function checkBatch(answer: Json, ledgerId: string): Json[] {
  const refused = (answer.results as Json[]).find((r) => r.status !== 201);
  if (refused) throw new Error(`a batch item on ${ledgerId} answered ${refused.status}: ${JSON.stringify(refused.problem)}`);
  return answer.results as Json[];
}

// ---- 2. single writes ----

async function benchServiceWrites(client: Client, settings: Settings): Promise<Run> {
  const ledgerId = 'bench-writes';
  const accountIds = await openLedger(client, ledgerId, settings.accountCount);
  const write = (prefix: string) => async (i: number) => {
    await client.call('POST', `/v1/ledgers/${ledgerId}/transactions`, transactionBody(randomTransfer(accountIds), { id: `${prefix}-${i}` }));
  };
  await runConcurrently(settings.warmupWriteCount, settings.concurrency, write('warmup'));
  return runConcurrently(settings.writeCount, settings.concurrency, write('w'));
}

// ---- 3. batches ----

async function benchBatches(client: Client, settings: Settings, atomic: boolean): Promise<Run> {
  const ledgerId = atomic ? 'bench-batch-atomic' : 'bench-batch';
  const accountIds = await openLedger(client, ledgerId, settings.accountCount);
  const batch = (prefix: string) => async (b: number) => {
    const transactions = Array.from({ length: BATCH_SIZE }, (_, i) => transactionBody(randomTransfer(accountIds), { id: `${prefix}-${b}-${i}` }));
    checkBatch(await client.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { atomic, transactions }), ledgerId);
  };
  await runConcurrently(settings.batchConcurrency, settings.batchConcurrency, batch('warmup'));
  return runConcurrently(settings.batchCount, settings.batchConcurrency, batch('b'), BATCH_SIZE);
}

// ---- 4. as-of balance reads ----

interface LoadedAccount {
  readonly ledgerId: string;
  readonly accountId: string;
  readonly postings: number;
  readonly recordedMsFrom: number;
  readonly recordedMsTo: number;
  readonly effectiveMsFrom: number;
  readonly effectiveMsTo: number;
  readonly load: Run;
}

/**
 * A ledger whose account `target` gets `postings` postings (the other side on one of ten
 * counter accounts), effective at random times over the year before `nowMs`, through batches.
 */
async function loadAccount(client: Client, ledgerId: string, postings: number, settings: Settings, nowMs: number): Promise<LoadedAccount> {
  const counters = await openLedger(client, ledgerId, 10);
  await client.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { id: 'target', normalBalance: 'credit', currency: 'USD' });
  const effectiveMsFrom = nowMs - 366 * DAY_MS;
  const effectiveMsTo = nowMs - DAY_MS;
  let recordedMsFrom = Infinity;
  let recordedMsTo = -Infinity;
  const batches = Math.ceil(postings / BATCH_SIZE);
  const load = await runConcurrently(batches, settings.batchConcurrency, async (b) => {
    const size = Math.min(BATCH_SIZE, postings - b * BATCH_SIZE);
    const transactions = Array.from({ length: size }, (_, i) => transactionBody(
      { from: counters[randomBelow(counters.length)]!, to: 'target', amount: randomAmount() },
      { id: `load-${b}-${i}`, effectiveAt: new Date(effectiveMsFrom + randomBelow(effectiveMsTo - effectiveMsFrom)).toISOString() },
    ));
    const results = checkBatch(await client.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { transactions }), ledgerId);
    for (const r of results) {
      const recordedMs = Date.parse(r.transaction.recordedAt as string);
      recordedMsFrom = Math.min(recordedMsFrom, recordedMs);
      recordedMsTo = Math.max(recordedMsTo, recordedMs);
    }
  }, BATCH_SIZE);
  return { ledgerId, accountId: 'target', postings, effectiveMsFrom, effectiveMsTo, recordedMsFrom, recordedMsTo, load };
}

function balancePath(account: LoadedAccount): string {
  const between = (from: number, to: number) => new Date(from + randomBelow(Math.max(1, to - from))).toISOString();
  const recordedAsOf = between(account.recordedMsFrom, account.recordedMsTo);
  const effectiveAsOf = between(account.effectiveMsFrom, account.effectiveMsTo);
  return `/v1/ledgers/${account.ledgerId}/accounts/${account.accountId}/balance?recordedAsOf=${recordedAsOf}&effectiveAsOf=${effectiveAsOf}`;
}

interface Reads {
  readonly small: LoadedAccount;
  readonly big: LoadedAccount;
  readonly smallLatencies: Latencies;
  readonly bigLatencies: Latencies;
}

/** One read at a time, small and big taking turns, so both see the same machine. */
async function benchReads(client: Client, settings: Settings): Promise<Reads> {
  const nowMs = Date.now();
  const small = await loadAccount(client, 'bench-reads-small', POSTINGS_SMALL, settings, nowMs);
  const big = await loadAccount(client, 'bench-reads-big', settings.postingCountBig, settings, nowMs);
  const samplesMs = { small: [] as number[], big: [] as number[] };
  const warmupReads = Math.min(20, settings.readCount);
  for (let i = 0; i < warmupReads + settings.readCount; i++) {
    for (const [name, account] of [['small', small], ['big', big]] as const) {
      const startedMs = performance.now();
      await client.call('GET', balancePath(account));
      if (i >= warmupReads) samplesMs[name].push(performance.now() - startedMs);
    }
  }
  return { small, big, smallLatencies: latenciesOf(samplesMs.small), bigLatencies: latenciesOf(samplesMs.big) };
}

// ---- the report ----

interface Results {
  /** Run just before and just after the service's single writes, so drift shows. */
  readonly baselineBefore: Run;
  readonly baselineAfter: Run;
  readonly writes: Run;
  readonly batch: Run;
  readonly batchAtomic: Run;
  readonly reads: Reads;
}

function baselineTxPerSecond(results: Results): number {
  return (results.baselineBefore.txPerSecond + results.baselineAfter.txPerSecond) / 2;
}

interface Row {
  readonly figure: string;
  readonly value: string;
  readonly target: string;
  readonly ratio: string;
  readonly met: string;
}

function reportRows(results: Results): Row[] {
  const { baselineBefore, baselineAfter, writes, batch, batchAtomic, reads } = results;
  const txPerSecond = (value: number) => `${Math.round(value).toLocaleString('en-US')} tx/s`;
  const tx = (run: Run) => txPerSecond(run.txPerSecond);
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const none = { target: '', ratio: '', met: '' };
  const writeRatio = writes.txPerSecond / baselineTxPerSecond(results);
  const batchRow = (figure: string, run: Run): Row => ({
    figure, value: tx(run), target: '>= 20,000 tx/s', ratio: (run.txPerSecond / TARGET_BATCH_TX_PER_SECOND).toFixed(2), met: run.txPerSecond >= TARGET_BATCH_TX_PER_SECOND ? 'yes' : 'no',
  });
  const readRatio = reads.bigLatencies.latencyMsMean / reads.smallLatencies.latencyMsMean;
  const big = reads.big.postings.toLocaleString('en-US');
  return [
    { figure: 'baseline: raw-SQL transfers, mean', value: txPerSecond(baselineTxPerSecond(results)), ...none },
    { figure: '  before / after the service\'s writes', value: `${tx(baselineBefore)} / ${tx(baselineAfter)}`, ...none },
    { figure: 'single writes over HTTP', value: tx(writes), target: '>= 1.2 x baseline', ratio: writeRatio.toFixed(2), met: writeRatio >= TARGET_WRITE_RATIO ? 'yes' : 'no' },
    { figure: '  latency p50 / p99', value: `${ms(writes.latencies.latencyMsP50)} / ${ms(writes.latencies.latencyMsP99)}`, ...none },
    batchRow('batch of 1000, non-atomic', batch),
    batchRow('batch of 1000, atomic', batchAtomic),
    { figure: `  loading ${big} postings (batches)`, value: tx(reads.big.load), ...none },
    { figure: 'balance read, 1,000 postings: mean / p99', value: `${ms(reads.smallLatencies.latencyMsMean)} / ${ms(reads.smallLatencies.latencyMsP99)}`, ...none },
    { figure: `balance read, ${big} postings: mean / p99`, value: `${ms(reads.bigLatencies.latencyMsMean)} / ${ms(reads.bigLatencies.latencyMsP99)}`, ...none },
    { figure: `  mean ${big} / 1,000`, value: '', target: `~ 1 (flat: <= ${FLAT_READ_RATIO_MAX})`, ratio: readRatio.toFixed(2), met: readRatio <= FLAT_READ_RATIO_MAX ? 'yes' : 'no' },
  ];
}

function printTable(rows: readonly Row[]): void {
  const header: Row = { figure: 'figure', value: 'measured', target: 'target', ratio: 'ratio', met: 'met' };
  const columns = ['figure', 'value', 'target', 'ratio', 'met'] as const;
  const widths = columns.map((c) => Math.max(...[header, ...rows].map((r) => r[c].length)));
  const line = (r: Row) => columns.map((c, i) => (c === 'value' || c === 'ratio' ? r[c].padStart(widths[i]!) : r[c].padEnd(widths[i]!))).join('  ').trimEnd();
  console.log(['', line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n'));
}

function resultsJson(settings: Settings, results: Results, rows: readonly Row[]): Json {
  const { databaseUrl: _url, jsonPath: _path, ...sizes } = settings;
  const { small, big, smallLatencies, bigLatencies } = results.reads;
  const account = (loaded: LoadedAccount, latencies: Latencies) => ({ postings: loaded.postings, loadTxPerSecond: loaded.load.txPerSecond, ...latencies });
  return {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, platform: `${platform()} ${release()}`, node: process.version },
    settings: sizes,
    baseline: { txPerSecond: baselineTxPerSecond(results), before: results.baselineBefore, after: results.baselineAfter },
    writes: { ...results.writes, ratioToBaseline: results.writes.txPerSecond / baselineTxPerSecond(results), target: TARGET_WRITE_RATIO },
    batch: { ...results.batch, target: TARGET_BATCH_TX_PER_SECOND },
    batchAtomic: { ...results.batchAtomic, target: TARGET_BATCH_TX_PER_SECOND },
    reads: { small: account(small, smallLatencies), big: account(big, bigLatencies), ratioBigToSmall: bigLatencies.latencyMsMean / smallLatencies.latencyMsMean },
    rows,
  };
}

// ---- the run ----

function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** Every measurement, in order, with the baseline run on both sides of the service's single writes. */
async function measure(baseline: Baseline, client: Client, settings: Settings): Promise<Results> {
  const { concurrency, writeCount, batchCount, batchConcurrency, postingCountBig, readCount } = settings;
  progress(`baseline: ${writeCount} raw-SQL transfers, ${concurrency} clients`);
  const baselineBefore = await baseline.run();
  progress(`single writes: ${writeCount} over HTTP, ${concurrency} clients`);
  const writes = await benchServiceWrites(client, settings);
  progress('baseline again');
  const baselineAfter = await baseline.run();
  progress(`batches: ${batchCount} of ${BATCH_SIZE}, non-atomic then atomic, ${batchConcurrency} in flight`);
  const batch = await benchBatches(client, settings, false);
  const batchAtomic = await benchBatches(client, settings, true);
  progress(`balance reads: loading ${POSTINGS_SMALL} and ${postingCountBig} postings, then ${readCount} reads of each`);
  const reads = await benchReads(client, settings);
  return { baselineBefore, baselineAfter, writes, batch, batchAtomic, reads };
}

function report(settings: Settings, results: Results): void {
  const rows = reportRows(results);
  printTable(rows);
  console.log(`\n${cpus().length} CPUs shared by this client, the server and PostgreSQL: compare ratios, not absolute figures, across machines.`);
  if (settings.jsonPath) writeFileSync(settings.jsonPath, `${JSON.stringify(resultsJson(settings, results, rows), null, 2)}\n`);
}

async function main(settings: Settings): Promise<void> {
  const admin = postgres(settings.databaseUrl, { max: 1, onnotice: () => {} });
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const baselineDatabase = await createScratchDatabase(admin, settings.databaseUrl, 'baseline');
    cleanups.unshift(baselineDatabase.drop);
    const serviceDatabase = await createScratchDatabase(admin, settings.databaseUrl, 'service');
    cleanups.unshift(serviceDatabase.drop);
    progress('setting up the baseline and starting the server');
    const baseline = await openBaseline(baselineDatabase.url, settings);
    cleanups.unshift(baseline.close);
    const server: Server = await startServer({ DATABASE_URL: serviceDatabase.url, LEDGER_RATE_LIMIT: '0', LEDGER_BOOTSTRAP_ADMIN_KEY: ADMIN_KEY });
    cleanups.unshift(async () => {
      const exitCode = await server.stop();
      if (exitCode !== 0) progress(`the server exited with ${exitCode}`);
    });
    const client = httpClient(server.port, ADMIN_KEY, Math.max(settings.concurrency, settings.batchConcurrency));
    cleanups.unshift(async () => client.close());
    report(settings, await measure(baseline, client, settings));
  } finally {
    if (!(await runAll(cleanups))) process.exitCode = 1;
    await admin.end();
  }
}

/** Runs every cleanup, even after one fails, and says on stderr what failed: false if any did. */
async function runAll(cleanups: readonly (() => Promise<unknown>)[]): Promise<boolean> {
  let succeeded = true;
  for (const cleanup of cleanups) {
    await cleanup().catch((error: unknown) => {
      succeeded = false;
      console.error(`bench: cleaning up failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
  return succeeded;
}

try {
  await main(settingsFrom(process.env));
} catch (error) {
  console.error(`bench failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exit(1);
}
