import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

// The server as `npm start` runs it (package.json: node src/entry/start.js: the bundle when it is
// current, else the sources), with the project's Node.
const ROOT = new URL('../../', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');
const ENTRY = 'src/entry/start.js';
const START_TIMEOUT_MS = 45_000;
const CALL_TIMEOUT_MS = 30_000;

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Server {
  readonly port: number;
  readonly pid: number;
  /** Resolves with the exit code when the process exits, for whatever reason. */
  readonly exited: Promise<number | null>;
  /** Everything the process wrote to stdout so far, line by line. */
  readonly lines: readonly string[];
  /** Everything it wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM, then the exit code once it has exited. */
  stop(): Promise<number | null>;
  /** SIGKILL (kill -9: no shutdown at all), resolved once it has exited. */
  crash(): Promise<void>;
}

/** Children still running, each with how to kill it: alone, or with its process group. */
const running = new Map<ChildProcess, (signal: NodeJS.Signals) => void>();

/** Sends `signal` to a child started `detached`, and to every process it started (its group). */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/**
 * Spawns Node on `args`, kept in the list `stopAllServers` kills, and when it exits. A `detached`
 * child is a group leader: it is killed with its group.
 */
export function spawnTracked(args: readonly string[], options: SpawnOptions): { child: ChildProcess; exited: Promise<number | null> } {
  const child = spawn(NODE, args, options);
  running.set(child, options.detached ? (signal) => signalGroup(child, signal) : (signal) => child.kill(signal));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    running.delete(child);
    resolve(code);
  }));
  return { child, exited };
}

/** A port nothing listens on now. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Starts the real server as `npm start` does and resolves once it says it is listening. It runs
 * on `DATABASE_URL` only when `env` names one, else on PGlite under `env.DATA_DIR`. `entry`: another
 * way in (a bundle of the tests' own making).
 */
export async function startServer(env: Record<string, string>, entry = ENTRY): Promise<Server> {
  const port = await freePort();
  const childEnv: Record<string, string | undefined> = { ...process.env, DATABASE_URL: undefined, LEDGER_BOOTSTRAP_ADMIN_KEY: undefined, PORT: String(port), ...env };
  for (const name of Object.keys(childEnv)) if (childEnv[name] === undefined) delete childEnv[name];
  const { child, exited } = spawnTracked([entry], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)));
  let listened = false;
  const listening = new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      // Parsed only until it listens: the bench's load makes a line a request, on the same cores.
      if (!listened && line.startsWith('{') && (JSON.parse(line) as Json).msg === 'listening') {
        listened = true;
        resolve();
      }
    });
    void exited.then((code) => reject(new Error(`the server exited (${code}) before listening:\n${lines.join('\n')}\n${stderr}`)));
    setTimeout(() => reject(new Error(`the server did not listen within ${START_TIMEOUT_MS} ms:\n${lines.join('\n')}\n${stderr}`)), START_TIMEOUT_MS).unref();
  });
  await listening;
  return {
    port,
    pid: child.pid!,
    exited,
    lines,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async crash() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** One request over real HTTP, its JSON answer. */
export async function call(server: Server, key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS), // a hung server fails the test here, naming the request
  });
  return { status: response.status, body: (await response.json()) as Json };
}


/** Kills every server and Worker still running: for afterAll. */
export function stopAllServers(): void {
  for (const kill of running.values()) kill('SIGKILL');
}
