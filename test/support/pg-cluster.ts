import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './server.ts';

const SCRIPT = new URL('../../scripts/pg-test-server.sh', import.meta.url).pathname;
const run = promisify(execFile);
/** Each command bounded, so that a step that hangs fails as itself rather than as the test's timeout. */
const COMMAND_TIMEOUT_MS = 90_000;

/** A PostgreSQL cluster of a test's own: `scripts/pg-test-server.sh` on a free port and a fresh data directory. */
export interface PrivateCluster {
  /** PG_TEST_PORT and PG_TEST_DIR among the environment the script runs with. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Runs `scripts/pg-test-server.sh <command> <args>` on this cluster; resolves with its stdout. */
  script(command: string, ...args: string[]): Promise<string>;
}

const made: PrivateCluster[] = [];

/** A cluster, not started: `script('start')` makes it (`extraEnv` for `standby`'s PG_TEST_PRIMARY_*). */
export async function privateCluster(extraEnv: Record<string, string> = {}): Promise<PrivateCluster> {
  const env = { ...process.env, PG_TEST_PORT: String(await freePort()), PG_TEST_DIR: join('/tmp', `ledger-pc-${randomBytes(4).toString('hex')}`), ...extraEnv };
  const cluster: PrivateCluster = {
    env,
    script: async (command, ...args) => (await run('bash', [SCRIPT, command, ...args], { env, timeout: COMMAND_TIMEOUT_MS })).stdout.trim(),
  };
  made.push(cluster);
  return cluster;
}

/** Stops and deletes every cluster made in this test file, the last made first: for afterAll. */
export async function removeAllClusters(): Promise<void> {
  for (const cluster of made.splice(0).reverse()) await cluster.script('reset');
}
