import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The raw-SQL write baseline: ../shared/bench/ (its README says how it is run), pgbench against
// a database of its own on the bench's cluster.

const run = promisify(execFile);
const PGBENCH = '/usr/lib/postgresql/15/bin/pgbench';
const PSQL = '/usr/lib/postgresql/15/bin/psql';

export interface Baseline {
  /** Runs pgbench for `seconds` with `clients`: transfers a second. */
  run(seconds: number, clients: number): Promise<number>;
  /** Runs pgbench with one client for `seconds`: each transfer's latency, in ms, from its transaction log. */
  runOneAtATime(seconds: number): Promise<number[]>;
}

/** Where ../shared/bench/ is (BENCH_BASELINE_DIR to say otherwise). */
export function baselineDir(root: string, env: NodeJS.ProcessEnv): string {
  const dir = env.BENCH_BASELINE_DIR || join(root, '../shared/bench');
  for (const file of ['baseline_schema.sql', 'baseline_transfer.sql']) {
    if (!existsSync(join(dir, file))) throw new Error(`the baseline's ${file} is not in ${dir}: set BENCH_BASELINE_DIR to the folder of shared/bench`);
  }
  return dir;
}

/** The baseline's schema in a new database of the URL's cluster; pgbench runs against it. */
export async function openBaseline(databaseUrl: string, dir: string, createDatabase: (name: string) => Promise<void>): Promise<Baseline> {
  const name = 'bench_baseline';
  await createDatabase(name);
  const url = new URL(databaseUrl);
  const env = { ...process.env, PGHOST: url.hostname, PGPORT: url.port, PGUSER: decodeURIComponent(url.username), PGPASSWORD: decodeURIComponent(url.password), PGDATABASE: name };
  await run(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', join(dir, 'baseline_schema.sql')], { env });
  return {
    async run(seconds, clients) {
      const { stdout } = await run(PGBENCH, ['-n', '-M', 'prepared', '-c', String(clients), '-j', '2', '-T', String(seconds), '-f', join(dir, 'baseline_transfer.sql')], { env, maxBuffer: 16 * 1024 * 1024 });
      const tps = /tps = ([0-9.]+) \(without initial connection time\)/.exec(stdout);
      if (!tps) throw new Error(`pgbench said no tps:\n${stdout}`);
      return Number(tps[1]);
    },
    async runOneAtATime(seconds) {
      const logs = mkdtempSync(join(tmpdir(), 'bench-pgbench-'));
      try {
        await run(PGBENCH, ['-n', '-M', 'prepared', '-c', '1', '-j', '1', '-T', String(seconds), '-l', `--log-prefix=${join(logs, 'log')}`, '-f', join(dir, 'baseline_transfer.sql')], { env });
        // A line of pgbench's log: client, transaction, latency in microseconds, script, epoch, microseconds.
        const lines = readdirSync(logs).flatMap((file) => readFileSync(join(logs, file), 'utf8').trim().split('\n'));
        return lines.map((line) => Number(line.split(' ')[2]) / 1000).filter((latency) => Number.isFinite(latency));
      } finally {
        rmSync(logs, { recursive: true, force: true });
      }
    },
  };
}
