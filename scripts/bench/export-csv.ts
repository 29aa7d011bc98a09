// The general ledger's CSV export over a big ledger: postings a second and memory (issue 17's
// target: 1,000,000 postings at 100,000 a second or more, with flat memory).
//   DATABASE_URL=postgres://... node scripts/bench/export-csv.ts
//   BENCH_EXPORT_POSTINGS   postings of the ledger (two per transaction)   1000000
//   BENCH_EXPORT_PAGED      1: a page at a time, as on PGlite, instead of one COPY stream
// The ledger (`bench-export-csv-<postings>`) is loaded once, in-process through the app's batch route
// (1,000 transactions a batch, two in flight), and reused by later runs. The export then runs in a
// child process, as `npm run export:csv` would, so its peak RSS is the export's alone: it prints
// postings a second, the export process's CPU seconds (the database's are not in it), the load
// average (on a shared machine, wall time is not the export's alone), the RSS after each tenth
// of the rows and the peak.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { createApp } from '../../src/adapters/http/app.ts';
import { DEFAULT_LIMITS } from '../../src/adapters/http/limits.ts';
import { resolveAsOf } from '../../src/app/as-of.ts';
import { createApiKey } from '../../src/app/api-keys.ts';
import { generalLedgerCsv } from '../../src/app/exports/general-ledger.ts';
import { GroupCommitter } from '../../src/app/group-commit.ts';
import { isRejection } from '../../src/domain/rejection.ts';
import { configFrom } from '../../src/entry/config.ts';
import { openDatabase } from '../../src/entry/open-database.ts';

const BATCH = 1000;
const postings = Number(process.env.BENCH_EXPORT_POSTINGS ?? 1_000_000);
const ledgerId = `bench-export-csv-${postings}`;
const database = await openDatabase(configFrom(process.env));
// The export as the service makes it: one COPY stream on PostgreSQL; BENCH_EXPORT_PAGED=1 measures the pages instead.
const store = createLedgerStore(database.db, { copyExports: database.kind === 'postgres' && process.env.BENCH_EXPORT_PAGED !== '1' });
const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/** The child's part: export the ledger's general ledger as CSV, counting bytes, sampling RSS. */
async function exportOnce(): Promise<void> {
  const ledger = (await store.ledger(ledgerId))!;
  const asOf = await resolveAsOf(store, ledgerId, ledger.timezone, {});
  if (isRejection(asOf)) throw new Error(asOf.detail);
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const size = await store.generalLedgerSize(ledgerId, asOf.position, asOf.effectiveAt);
  let rows = 0;
  let bytes = 0;
  const rssAtTenth: number[] = [];
  for await (const chunk of generalLedgerCsv(store, ledgerId, asOf, (n) => (rows += n))) {
    bytes += Buffer.byteLength(chunk);
    if (rows >= ((rssAtTenth.length + 1) * size) / 10) rssAtTenth.push(mb(process.memoryUsage().rss));
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(JSON.stringify({ postings: rows, seconds, postingsPerSecond: Math.round(rows / seconds), exportCpuSeconds: cpuSeconds, loadAverage: os.loadavg()[0], csvMb: mb(bytes), rssMbAtEachTenth: rssAtTenth, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }));
}

/** Loads the ledger unless a previous run did: 1,000-transaction batches through the app, two in flight. */
async function load(): Promise<void> {
  const existing = await store.ledger(ledgerId);
  if (existing && (await store.generalLedgerSize(ledgerId, existing.head, BigInt(Date.now()) * 1000n)) >= postings) return;
  if (existing) throw new Error(`${ledgerId} exists but is short of ${postings} postings: drop it or pick another BENCH_EXPORT_POSTINGS`);
  const committer = new GroupCommitter(store, { overlapCommits: database.kind === 'postgres' });
  const app = createApp({ store, committer, limits: { ...DEFAULT_LIMITS, ratePerSecond: 0 } });
  const { key } = await createApiKey(store, { name: 'bench export', role: 'admin', ledgerIds: null });
  const post = async (path: string, body: unknown) => {
    const response = await app.request(path, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status !== 200 && response.status !== 201) throw new Error(`${path}: ${response.status} ${(await response.text()).slice(0, 500)}`);
  };
  await post('/v1/ledgers', { id: ledgerId, name: 'Export bench' });
  const accounts = Array.from({ length: 100 }, (_, i) => `acct:${String(i).padStart(3, '0')}`);
  for (const [i, id] of accounts.entries()) await post(`/v1/ledgers/${ledgerId}/accounts`, { id, normalBalance: i % 2 === 0 ? 'debit' : 'credit', currency: 'USD', type: i % 2 === 0 ? 'asset' : 'liability' });
  const batches = Math.ceil(postings / 2 / BATCH);
  const yearAgoMs = Date.now() - 365 * 86_400_000;
  const batch = (b: number) => ({
    transactions: Array.from({ length: BATCH }, (_, i) => {
      const amount = `${1 + ((b * BATCH + i) % 9999)}.${String((b + i) % 100).padStart(2, '0')}`;
      const [from, to] = [accounts[(b + i) % 100]!, accounts[(b * 7 + i * 3 + 1) % 100]!];
      return {
        id: `t-${b}-${i}`, effectiveAt: new Date(yearAgoMs + ((b * BATCH + i) % 360) * 86_400_000).toISOString(),
        postings: [{ accountId: from, direction: 'debit', amount }, { accountId: to === from ? accounts[(b + i + 1) % 100]! : to, direction: 'credit', amount }],
      };
    }),
  });
  const started = performance.now();
  for (let b = 0; b < batches; b += 2) {
    await Promise.all([b, b + 1].filter((n) => n < batches).map((n) => post(`/v1/ledgers/${ledgerId}/transactions/batch`, batch(n))));
    process.stderr.write(`\rloading ${ledgerId}: ${Math.min(b + 2, batches) * BATCH * 2} postings`);
  }
  process.stderr.write(` in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}

try {
  if (process.argv[2] === '--export-only') {
    await exportOnce();
  } else {
    await load();
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--export-only'], { stdio: ['ignore', 'inherit', 'inherit'], env: process.env });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    process.exitCode = code ?? 1;
  }
} finally {
  await database.close();
}
