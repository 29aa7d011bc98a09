// The embedded (PGlite) start and balance read, as `npm run bench` measures them (its `embedded`),
// for variants of the service's command run in turn in one sitting: on a shared machine only
// figures taken side by side compare. Each start is on a new data directory: the time to
// listening, to the ledger and its 100 accounts, and to the first 200 writes from 16 clients,
// with the process's CPU by thread at that point; then, with PROBE_READS, single writes for
// PROBE_WRITE_SECONDS and that many balance reads at random (R, E), one at a time (p50, and the
// CPU a read costs each thread).
//
//   node scripts/bench/embedded-probe.ts [label=command ...]    (default: start=src/entry/start.js, as `npm start`)
//   PROBE_ROUNDS (5)  PROBE_READS (0)  PROBE_WRITE_SECONDS (5)
// A command is Node's arguments, split at spaces (`--cpu-prof src/entry/node.ts`), after any
// settings of the environment (`LEDGER_LOG_LEVEL=warn src/entry/start.js`).
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { runLoad, jsonCaller } from './http-load.ts';
import { freePort, spawnTracked } from '../../test/support/server.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const TICK_MS = 10;

/**
 * CPU ms so far of each thread of `pid`, by the thread's name (threads of one name summed). Node
 * names its threads `node`: the first four made are V8's helpers (GC, compilation), those made
 * after are Worker threads (PGlite's).
 */
function threadsCpuMs(pid: number): Record<string, number> {
  const byName: Record<string, number> = {};
  let unnamed = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`).sort((a, b) => Number(a) - Number(b))) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      const key = tid === String(pid) ? 'main' : name !== 'node' ? name : unnamed++ < 4 ? 'v8' : 'worker';
      byName[key] = (byName[key] ?? 0) + (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    } catch {
      // the thread ended
    }
  }
  return byName;
}

const minus = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]));
const perOperation = (spent: Record<string, number>, count: number) => Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, v / count]));
const median = (values: readonly number[]) => [...values].sort((x, y) => x - y)[Math.floor((values.length - 1) / 2)]!;
const randomBelow = (n: number) => Math.floor(Math.random() * n);
const transfer = (id: string, ids: readonly string[]) => {
  const from = randomBelow(ids.length);
  const to = (from + 1 + randomBelow(ids.length - 1)) % ids.length;
  const amount = `${1 + randomBelow(9999)}.${randomBelow(90) + 10}`;
  return { id, postings: [{ accountId: ids[from], direction: 'debit', amount }, { accountId: ids[to], direction: 'credit', amount }] };
};

interface Start {
  listeningS: number;
  accountsS: number;
  firstWritesS: number;
  cpuMs: Record<string, number>;
  writesPerSecond?: number;
  writeCpuMs?: Record<string, number>;
  readP50Ms?: number;
  readCpuMs?: Record<string, number>;
}

async function oneStart(args: readonly string[], settings: Record<string, string>, reads: number, writeSeconds: number): Promise<Start> {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-probe-'));
  const key = `lk_probe_${randomBytes(18).toString('base64url')}`;
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), DATA_DIR: join(dir, 'data'), LEDGER_BOOTSTRAP_ADMIN_KEY: key, ...settings };
  delete env.DATABASE_URL;
  const started = performance.now();
  const marks: [string, number][] = [['spawned', performance.timeOrigin + started]];
  const { child, exited } = spawnTracked(args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    const [, name, epochMs] = /^TRACE (\S+) ([0-9.]+)$/.exec(line) ?? [];
    if (name) marks.push([name, Number(epochMs)]);
    else process.stderr.write(`${line}\n`);
  });
  const mark = (name: string) => marks.push([name, performance.timeOrigin + performance.now()]);
  try {
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => line.includes('"msg":"listening"') && resolve());
      void exited.then((code) => reject(new Error(`exited ${code}`)));
    });
    const listeningS = (performance.now() - started) / 1000;
    mark('probe: listening seen');
    const headers = { Authorization: `Bearer ${key}` };
    const call = jsonCaller(port, headers);
    await call('POST', '/v1/ledgers', { id: 'probe', name: 'probe' });
    const ids = Array.from({ length: 100 }, (_, i) => `a-${i}`);
    await runLoad(port, headers, 16, (i) => i < ids.length ? { method: 'POST', path: '/v1/ledgers/probe/accounts', body: JSON.stringify({ id: ids[i], normalBalance: i % 2 ? 'credit' : 'debit', currency: 'USD' }) } : null);
    const accountsS = (performance.now() - started) / 1000;
    mark('probe: ledger and accounts');
    await runLoad(port, headers, 16, (i) => i < 200 ? { method: 'POST', path: '/v1/ledgers/probe/transactions', body: JSON.stringify(transfer(`first-${i}`, ids)) } : null);
    const firstWritesS = (performance.now() - started) / 1000;
    mark('probe: 200 writes');
    if (process.env.PROBE_TRACE) console.log(marks.sort((a, b) => a[1] - b[1]).map(([name, ms]) => `  ${(ms - marks[0]![1]).toFixed(0).padStart(5)} ms ${name}`).join('\n'));
    const result: Start = { listeningS, accountsS, firstWritesS, cpuMs: threadsCpuMs(child.pid!) };
    if (reads === 0) return result;
    const endMs = performance.now() + writeSeconds * 1000;
    const beforeWrites = threadsCpuMs(child.pid!);
    const writes = await runLoad(port, headers, 16, (i) => ({ method: 'POST', path: '/v1/ledgers/probe/transactions', body: JSON.stringify(transfer(`w-${i}`, ids)) }), () => performance.now() >= endMs);
    const writeCpuMs = perOperation(minus(threadsCpuMs(child.pid!), beforeWrites), writes.answered);
    const first = ((await call('GET', '/v1/ledgers/probe/events?after=100&limit=1')).events as { recordedAt: string }[])[0]!;
    const firstMs = Date.parse(first.recordedAt) + 1;
    const nowMs = Date.now();
    const asOf = () => `recordedAsOf=${new Date(firstMs + randomBelow(nowMs - firstMs + 1)).toISOString()}&effectiveAsOf=${new Date(nowMs - 365 * 86_400_000 + randomBelow(366 * 86_400_000)).toISOString()}`;
    await new Promise((resolve) => setTimeout(resolve, 300)); // the projector's last step
    const before = threadsCpuMs(child.pid!);
    const load = await runLoad(port, headers, 1, (i) => i < reads ? { method: 'GET', path: `/v1/ledgers/probe/accounts/${ids[i % ids.length]}/balance?${asOf()}` } : null);
    const spent = minus(threadsCpuMs(child.pid!), before);
    return { ...result, writesPerSecond: writes.answered / writes.seconds, writeCpuMs, readP50Ms: median(load.samplesMs), readCpuMs: perOperation(spent, reads) };
  } finally {
    child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  }
}

const variants = (process.argv.length > 2 ? process.argv.slice(2) : ['start=src/entry/start.js']).map((arg) => {
  const [label, command] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, arg];
  const words = command!.split(' ').filter(Boolean);
  const settings = words.filter((word) => /^[A-Z_]+=/.test(word)).map((word) => [word.slice(0, word.indexOf('=')), word.slice(word.indexOf('=') + 1)]);
  return { label: label!, args: words.filter((word) => !/^[A-Z_]+=/.test(word)), env: Object.fromEntries(settings) as Record<string, string> };
});
const rounds = Number(process.env.PROBE_ROUNDS || 5);
const reads = Number(process.env.PROBE_READS || 0);
const writeSeconds = Number(process.env.PROBE_WRITE_SECONDS || 5);
const starts = new Map(variants.map((v) => [v.label, [] as Start[]]));
for (let round = 0; round < rounds; round++) {
  for (const variant of variants) {
    const start = await oneStart(variant.args, variant.env, reads, writeSeconds);
    starts.get(variant.label)!.push(start);
    const threads = Object.entries(start.cpuMs).filter(([, ms]) => ms >= 50).map(([name, ms]) => `${name} ${ms}`).join(', ');
    const perThread = (spent: Record<string, number>) => Object.entries(spent).filter(([, ms]) => ms >= 0.01).map(([n, ms]) => `${n} ${ms.toFixed(2)}`).join(', ');
    const read = start.readP50Ms !== undefined ? `; writes ${start.writesPerSecond!.toFixed(0)}/s, CPU a write ${perThread(start.writeCpuMs!)}; read p50 ${start.readP50Ms.toFixed(2)} ms, CPU a read ${perThread(start.readCpuMs!)}` : '';
    console.log(`${variant.label} #${round + 1}: listening ${start.listeningS.toFixed(2)} s, accounts ${start.accountsS.toFixed(2)} s, 200 writes ${start.firstWritesS.toFixed(2)} s; CPU ms ${threads}${read}`);
  }
}
for (const [label, all] of starts) {
  const pick = (f: (s: Start) => number | undefined) => median(all.map(f).filter((x): x is number => x !== undefined));
  const total = (s: Start) => Object.values(s.cpuMs).reduce((a, b) => a + b, 0);
  console.log(`${label} medians: listening ${pick((s) => s.listeningS).toFixed(2)} s, accounts ${pick((s) => s.accountsS).toFixed(2)} s, 200 writes ${pick((s) => s.firstWritesS).toFixed(2)} s; CPU ${pick(total)} ms (main ${pick((s) => s.cpuMs.main)})`
    + (reads ? `; writes ${pick((s) => s.writesPerSecond).toFixed(0)}/s; read p50 ${pick((s) => s.readP50Ms).toFixed(2)} ms` : ''));
}
