import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, signalGroup, spawnTracked, type Server } from './server.ts';

// The Worker as `wrangler dev` runs it: src/entry/worker.ts bundled by wrangler, served by
// workerd from npm, its Hyperdrive binding connecting straight to a PostgreSQL database.
const ROOT = new URL('../../', import.meta.url).pathname;
export const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');
const START_TIMEOUT_MS = 45_000;
const STOP_TIMEOUT_MS = 5_000;

/** wrangler with nothing sent anywhere: no metrics, no error reports; and no .env of the developer's. */
export const QUIET_WRANGLER_ENV = { WRANGLER_SEND_METRICS: 'false', WRANGLER_SEND_ERROR_REPORTS: 'false', CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: 'false' };

/**
 * Starts `wrangler dev` on a free port, its Hyperdrive binding on `databaseUrl`, with `vars` over
 * wrangler.toml's, and resolves once the Worker answers /health. `lines` holds wrangler's output,
 * the Worker's request log included.
 */
export async function startWorker(databaseUrl: string, vars: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const inspectorPort = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'ledger-wrangler-'));
  const args = [
    WRANGLER, 'dev', '--local', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort),
    '--persist-to', join(dir, 'state'), '--show-interactive-dev-session=false',
    ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
  ];
  const env = { ...process.env, ...QUIET_WRANGLER_ENV, WRANGLER_LOG_PATH: dir, CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: databaseUrl };
  // detached: wrangler leads a process group with the workerd processes it starts.
  const { child, exited } = spawnTracked(args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let output = '';
  const collect = (chunk: Buffer) => {
    output += String(chunk);
    const complete = output.split('\n');
    output = complete.pop()!;
    lines.push(...complete);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const stop = async () => {
    signalGroup(child, 'SIGTERM');
    const killing = setTimeout(() => signalGroup(child, 'SIGKILL'), STOP_TIMEOUT_MS);
    const code = await exited;
    clearTimeout(killing);
    await rm(dir, { recursive: true, force: true });
    return code;
  };
  try {
    await untilHealthy(port, exited, () => `${lines.join('\n')}\n${output}`);
  } catch (error) {
    await stop();
    throw error;
  }
  const crash = async () => {
    signalGroup(child, 'SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  return { port, pid: child.pid!, exited, lines, stderr: () => output, stop, crash };
}

async function untilHealthy(port: number, exited: Promise<number | null>, output: () => string): Promise<void> {
  let gone: number | null | undefined;
  void exited.then((code) => (gone = code));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (gone !== undefined) throw new Error(`wrangler dev exited (${gone}) before the Worker answered:\n${output()}`);
    const healthy = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the Worker did not answer /health within ${START_TIMEOUT_MS} ms; wrangler said:\n${output()}`);
}
