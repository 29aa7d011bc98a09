import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, type ExpectStatic } from 'vitest';
import { emptyPostgresDatabase } from '../support/private-database.ts';
import { callsOf, walkthroughBlocks, walkthroughScript, type Call, type CurlCommand } from '../support/readme-walkthrough.ts';
import { startServer, stopAllServers, type Server } from '../support/server.ts';

// The README's "Use it" walkthrough is an executable document: this test takes its ```sh
// walkthrough blocks, in order, runs them with bash (curl and jq) against a fresh server, as
// `npm start` runs it, on PGlite and on PostgreSQL, and checks every call against the `# → STATUS
// {...}` comment after it. Why this way round rather than a README generated from a tested
// script: the README stays the one text a reader reads and a writer edits, its comments are the
// assertions (an example that drifts fails here, naming its README line), and nothing has to be
// regenerated and kept in step. Every block runs in one shell with `set -euo pipefail`: a step
// that a later one relies on cannot go missing unnoticed (a variable never set, an account never
// opened, an answer that changes).

const ROOT = new URL('../../', import.meta.url).pathname;
const RUN_TIMEOUT_MS = 180_000; // bash alone; a loaded machine is slow, and the timeout only stops a hung run
const BLOCKS = walkthroughBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const COMMANDS = BLOCKS.flatMap((block) => block.commands);

/** The admin key the walkthrough's first block sets (`KEY=...`): the server is started with it as LEDGER_BOOTSTRAP_ADMIN_KEY. */
function adminKeyOfWalkthrough(): string {
  const set = BLOCKS[0]?.lines.map((line) => /^KEY=(\S+)/.exec(line)).find(Boolean);
  if (!set) throw new Error('the walkthrough\'s first block does not set KEY=<the admin key>');
  return set[1]!;
}

/** A working directory like a clone's root (what `npm run` and the integration kit need, linked), so that files the walkthrough writes stay out of the repository. */
function workingDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'readme-walkthrough-'));
  for (const name of ['package.json', 'node_modules', 'scripts', 'src', 'sql']) symlinkSync(join(ROOT, name), join(dir, name));
  return dir;
}

function runBash(scriptPath: string, cwd: string, log: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env, WALK_LOG: log };
  for (const name of ['DATABASE_URL', 'LEDGER_URL', 'LEDGER_KEY', 'LEDGER_BOOTSTRAP_ADMIN_KEY']) delete env[name];
  const child = spawn('bash', [scriptPath], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: RUN_TIMEOUT_MS });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** The command a call came from: the last one starting at or before its line. */
function commandOf(call: Call): CurlCommand | undefined {
  return COMMANDS.filter((command) => command.readmeLine <= call.readmeLine).at(-1);
}

function checkCall(expect: ExpectStatic, call: Call): void {
  const command = commandOf(call);
  const where = `README.md:${call.readmeLine}: ${command?.text ?? '?'}\nanswered ${call.status} ${call.body.slice(0, 2000)}`;
  const expected = command?.expectation;
  expect.soft(expected, where).toBeDefined();
  if (!expected) return;
  expect.soft(call.status, where).toBe(expected.status);
  if (typeof expected.body === 'string') {
    expect.soft(call.body, where).toContain(expected.body);
  } else if (expected.body !== undefined) {
    let body: unknown;
    try {
      body = JSON.parse(call.body);
    } catch {
      body = call.body;
    }
    expect.soft(body, where).toMatchObject(expected.body as object);
  }
}

interface FreshDatabase {
  readonly name: string;
  /** A new, empty database: the server's environment for it, and how to drop it afterwards. */
  open(): Promise<{ readonly env: Record<string, string>; drop(): Promise<void> }>;
}

const DATABASES: readonly FreshDatabase[] = [
  { name: 'pglite', open: async () => ({ env: { DATA_DIR: 'memory://' }, drop: async () => {} }) },
  ...(process.env.DATABASE_URL ? [{
    name: 'postgres',
    open: async () => {
      const database = await emptyPostgresDatabase();
      return { env: { DATABASE_URL: database.url }, drop: () => database.drop() };
    },
  }] : []),
];

describe('the README walkthrough', () => {
  it('has tested blocks, and a curl command in them says what it answers', () => {
    // A renamed fence or a lost section would otherwise leave this suite testing nothing.
    expect(BLOCKS.length).toBeGreaterThanOrEqual(8);
    expect(COMMANDS.length).toBeGreaterThanOrEqual(60);
    expect(adminKeyOfWalkthrough()).toMatch(/^lk_/);
  });

  afterAll(stopAllServers);

  // Both databases at once: each run is mostly waiting on curl, the server and npm.
  it.concurrent.for(DATABASES)('runs as written on $name: every call answers as its comment says', { timeout: RUN_TIMEOUT_MS + 60_000 }, async ({ open }, { expect }) => {
    const database = await open();
    const dir = workingDirectory();
    let server: Server | undefined;
    try {
      server = await startServer({ ...database.env, LEDGER_BOOTSTRAP_ADMIN_KEY: adminKeyOfWalkthrough() });
      const { script, readmeLineOf } = walkthroughScript(BLOCKS, `http://127.0.0.1:${server.port}`);
      writeFileSync(join(dir, 'walkthrough.sh'), script);
      const log = join(dir, 'calls.log');
      writeFileSync(log, '');
      const run = await runBash(join(dir, 'walkthrough.sh'), dir, log);
      const calls = callsOf(readFileSync(log, 'utf8'), readmeLineOf);
      for (const call of calls) checkCall(expect, call);
      // bash names the script's line (the ERR trap, or an unbound variable): say the README's.
      const line = /at script line (\d+)|walkthrough\.sh: line (\d+)/.exec(run.stderr);
      const where = line ? `at README.md:${readmeLineOf[Number(line[1] ?? line[2]) - 1] ?? '?'}` : `after README.md:${calls.at(-1)?.readmeLine}`;
      expect(run.code, `bash stopped (exit ${run.code}) ${where}; stderr:\n${run.stderr.slice(-3000)}`).toBe(0);
      const printed = run.stdout.split('\n');
    expect(BLOCKS.flatMap((block) => block.prints).filter((line) => !printed.includes(line)), 'lines a `# prints:` comment promises').toEqual([]);
    const unreached = COMMANDS.filter((command) => !calls.some((call) => commandOf(call) === command));
      expect(unreached.map((command) => `README.md:${command.readmeLine}: ${command.text}`)).toEqual([]);
    } finally {
      await server?.stop();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
