// A quick look at point reads, for before/after comparisons while working on them (the full
// figures are `BENCH_ONLY=reads npm run bench`'s): the service as `npm start` runs it, on
// PROBE_DATABASE_URL (a PostgreSQL) or on a new PGlite directory when it is unset; a ledger
// whose wallet has PROBE_POSTINGS postings (1000) over the past year; then balance reads at
// random (R, E) one at a time, `GET /v1/ledgers/{id}` one at a time, and balance reads from
// PROBE_CLIENTS clients (16) for PROBE_SECONDS (5), PROBE_ROUNDS times (1). PROBE_CPU_PROF: a
// directory for the service's CPU profile (node --cpu-prof), written when it stops. PROBE_PG_DIR:
// the data directory of PROBE_DATABASE_URL's cluster, to print the CPU a read costs the API and
// PostgreSQL (scripts/bench/cpu.ts; the cluster's other work counts too: use a private one).
//
//   node scripts/bench/read-probe.ts
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../test/support/server.ts';
import { cpuMeter, cpuPer, postmasterPid } from './cpu.ts';
import { jsonCaller, runLoad, type HttpRequest } from './http-load.ts';
import { loadWallet } from './wallet-load.ts';

const DAY_MS = 86_400_000;
const env = process.env;
const postings = Number(env.PROBE_POSTINGS ?? 1000);
const clients = Number(env.PROBE_CLIENTS ?? 16);
const seconds = Number(env.PROBE_SECONDS ?? 5);
const reads = Number(env.PROBE_READS ?? 500);
const rounds = Number(env.PROBE_ROUNDS ?? 1);
const randomBelow = (n: number) => Math.floor(Math.random() * n);

function percentiles(samples: readonly number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!;
  return `p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms`;
}

const dir = env.PROBE_DATABASE_URL ? undefined : await mkdtemp(join(tmpdir(), 'read-probe-'));
const key = `lk_probe_${randomBytes(18).toString('base64url')}`;
const server = await startServer({
  ...(dir ? { DATA_DIR: join(dir, 'data') } : { DATABASE_URL: env.PROBE_DATABASE_URL! }),
  LEDGER_BOOTSTRAP_ADMIN_KEY: key,
  ...(env.PROBE_CPU_PROF ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${env.PROBE_CPU_PROF}` } : {}),
});
const headers = { Authorization: `Bearer ${key}` };
const call = jsonCaller(server.port, headers);
const oneAtATime = async (count: number, request: (i: number) => HttpRequest) => (await runLoad(server.port, headers, 1, (i) => (i < count ? request(i) : null))).samplesMs;

try {
  const ledgerId = `probe-${randomBytes(3).toString('hex')}`;
  const opened = await loadWallet(call, ledgerId, postings);
  await new Promise((resolve) => setTimeout(resolve, 2000)); // the projector catches up
  const asOf = () => {
    const now = Date.now();
    return `recordedAsOf=${new Date(opened + randomBelow(now - opened)).toISOString()}&effectiveAsOf=${new Date(now - 365 * DAY_MS + randomBelow(366 * DAY_MS)).toISOString()}`;
  };
  const balance = (): HttpRequest => ({ method: 'GET', path: `/v1/ledgers/${ledgerId}/accounts/wallet/balance?${asOf()}` });
  await oneAtATime(200, balance); // warm-up
  console.log(`balance, one at a time: ${percentiles(await oneAtATime(reads, balance))}`);
  console.log(`GET ledger, one at a time: ${percentiles(await oneAtATime(reads, () => ({ method: 'GET', path: `/v1/ledgers/${ledgerId}` })))}`);
  const cpu = env.PROBE_PG_DIR ? cpuMeter(server.pid, postmasterPid(env.PROBE_PG_DIR)) : undefined;
  for (let round = 0; round < rounds; round++) {
    const endMs = performance.now() + seconds * 1000;
    const cpuBefore = cpu?.();
    const load = await runLoad(server.port, headers, clients, balance, () => performance.now() >= endMs);
    const perRead = cpu && cpuBefore ? cpuPer(cpuBefore, cpu(), load.answered) : undefined;
    const cpuText = perRead ? `; CPU a read: client ${perRead.client.toFixed(3)}, API ${perRead.api.toFixed(3)}, PostgreSQL ${perRead.postgres.toFixed(3)} ms` : '';
    console.log(`balance, ${clients} clients: ${Math.round(load.answered / load.seconds)} reads/s, ${percentiles(load.samplesMs)}${cpuText}`);
  }
} catch (error) {
  console.error(`the service's stderr:\n${server.stderr()}\nits last lines:\n${server.lines.slice(-5).join('\n')}`);
  throw error;
} finally {
  await server.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}
