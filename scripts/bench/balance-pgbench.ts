// A balance read's PostgreSQL side alone, with no API: pgbench calls `ledger_balance_read` at
// random (R, E) from PROBE_CLIENTS clients (16) for PROBE_SECONDS (10), PROBE_ROUNDS times (1),
// and the CPU a read costs PostgreSQL is read from /proc (use a private cluster: its other work
// counts too). R is between the wallet's opening and now, E within the past year (or a day ahead),
// as the bench's reads are.
//
//   PROBE_DATABASE_URL=postgres://… PROBE_PG_DIR=/tmp/r-pg node scripts/bench/balance-pgbench.ts load 1000 100000
//       loads a ledger `pgb-<n>` whose noOverdraft `wallet` has n postings over the past year, through
//       the service (batches of 1,000, as the bench's loadWallet), and waits for the projector
//   … node scripts/bench/balance-pgbench.ts run 1000 100000
//       the pgbench rounds on those ledgers (PROBE_SQL: another statement, with :r and :e, the
//       times in microseconds since 1970, and :ledger)
//   … node scripts/bench/balance-pgbench.ts loop 1000 100000
//       PROBE_READS (4000) reads in one statement of one backend, PROBE_ROUNDS times: the backend's
//       CPU a read, with no protocol or transaction a read (PROBE_SQL: another call, with $1 the
//       ledger and r and e the times)
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { startServer } from '../../test/support/server.ts';
import { cpuMeter, cpuPer, postmasterPid } from './cpu.ts';
import { jsonCaller } from './http-load.ts';
import { loadWallet } from './wallet-load.ts';

const DAY_MS = 86_400_000;
const PGBENCH = '/usr/lib/postgresql/15/bin/pgbench';
const env = process.env;
const url = env.PROBE_DATABASE_URL;
if (!url) throw new Error('PROBE_DATABASE_URL: the PostgreSQL to load and read');
const [mode, ...sizes] = process.argv.slice(2);

async function load(size: number, db: postgres.Sql): Promise<void> {
  const key = `lk_probe_${randomBytes(18).toString('base64url')}`;
  const server = await startServer({ DATABASE_URL: url!, LEDGER_BOOTSTRAP_ADMIN_KEY: key });
  try {
    const call = jsonCaller(server.port, { Authorization: `Bearer ${key}` });
    const ledgerId = `pgb-${size}`;
    await loadWallet(call, ledgerId, size);
    for (;;) {
      const [lag] = await db<{ behind: boolean }[]>`select head > projected as behind from ledger_projector_lag() where ledger_id = ${ledgerId}`;
      if (!lag!.behind) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    console.log(`${ledgerId}: ${size} wallet postings loaded and projected`);
  } finally {
    await server.stop();
  }
}

async function run(size: number, db: postgres.Sql): Promise<void> {
  const ledgerId = `pgb-${size}`;
  const [opened] = await db<{ us: string }[]>`
    select (extract(epoch from recorded_at) * 1000000)::bigint::text as us from events where ledger_id = ${ledgerId} and position = 3`;
  if (!opened) throw new Error(`${ledgerId} is not loaded: run "load ${size}" first`);
  const nowUs = Date.now() * 1000;
  const statement = env.PROBE_SQL ?? `select * from ledger_balance_read(:ledger, 'wallet', timestamptz 'epoch' + :r * interval '1 microsecond', null,
    timestamptz 'epoch' + :e * interval '1 microsecond', 0);`;
  const dir = mkdtempSync(join(tmpdir(), 'balance-pgbench-'));
  try {
    const script = join(dir, 'read.sql');
    writeFileSync(script, `\\set r random(${Number(opened.us) + 1}, ${nowUs})\n\\set e random(${nowUs - 365 * DAY_MS * 1000}, ${nowUs + DAY_MS * 1000})\n${statement.replace(/\n\s*/g, ' ')}\n`);
    const target = new URL(url!);
    const pgEnv = { ...process.env, PGHOST: target.hostname, PGPORT: target.port, PGUSER: decodeURIComponent(target.username), PGPASSWORD: decodeURIComponent(target.password), PGDATABASE: target.pathname.slice(1) };
    const cpu = env.PROBE_PG_DIR ? cpuMeter(process.pid, postmasterPid(env.PROBE_PG_DIR)) : undefined;
    const clients = env.PROBE_CLIENTS ?? '16';
    for (let round = 0; round < Number(env.PROBE_ROUNDS ?? 1); round++) {
      const before = cpu?.();
      const { stdout } = await promisify(execFile)(PGBENCH, ['-n', '-M', 'prepared', '-c', clients, '-j', clients === '1' ? '1' : '2', '-T', env.PROBE_SECONDS ?? '10',
        '-D', `ledger=${ledgerId}`, '-f', script], { env: pgEnv }).catch((error: { stderr?: string }) => {
        throw new Error(`pgbench failed: ${String(error.stderr).slice(0, 400)}`);
      });
      await new Promise((resolve) => setTimeout(resolve, 500)); // the postmaster reaps the backends, their CPU counted then
      const reads = Number(/number of transactions actually processed: ([0-9]+)/.exec(stdout)?.[1]);
      const tps = Number(/tps = ([0-9.]+)/.exec(stdout)?.[1]);
      const latency = /latency average = ([0-9.]+) ms/.exec(stdout)?.[1];
      const perRead = before && cpu ? cpuPer(before, cpu(), reads) : undefined;
      console.log(`${ledgerId}, ${clients} clients: ${Math.round(tps)} reads/s, latency ${latency} ms${perRead ? `, PostgreSQL's CPU a read ${perRead.postgres.toFixed(3)} ms` : ''}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The backend's CPU ms so far (utime + stime of /proc/<pid>/stat; the cluster must be on this machine). */
function backendCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function loop(size: number, db: postgres.Sql): Promise<void> {
  const ledgerId = `pgb-${size}`;
  const reads = Number(env.PROBE_READS ?? 4000);
  const call = env.PROBE_SQL ?? `ledger_balance_read($1, 'wallet', g.r, null, g.e, 0)`;
  await db.begin(async (tx) => {
    const [backend] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const pid = backend!.pid;
    for (let round = 0; round < Number(env.PROBE_ROUNDS ?? 1); round++) {
      const before = backendCpuMs(pid);
      await tx.unsafe(`
        select count(*) from (select timestamptz 'epoch' + (lo + floor(random() * (now_us - lo)))::bigint * interval '1 microsecond' as r,
                                     timestamptz 'epoch' + (now_us - 365 * 86400e6 + floor(random() * 366 * 86400e6))::bigint * interval '1 microsecond' as e
                                from (select extract(epoch from recorded_at) * 1e6 + 1 as lo, extract(epoch from clock_timestamp()) * 1e6 as now_us
                                        from events where ledger_id = $1 and position = 3) bounds, generate_series(1, ${reads})) g,
                      lateral ${call} b`, [ledgerId]);
      console.log(`${ledgerId}, one backend, ${reads} reads in a statement: ${((backendCpuMs(pid) - before) / reads * 1000).toFixed(0)} µs of CPU a read`);
    }
  });
}

const modes = { load, run, loop } as const;
if (!(mode! in modes)) throw new Error('usage: balance-pgbench.ts load|run|loop <wallet postings>...');
const db = postgres(url, { max: 1, onnotice: () => {} });
try {
  for (const size of sizes) await modes[mode as keyof typeof modes](Number(size), db);
} finally {
  await db.end();
}
