import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { treeMs as processCpuMs } from './cpu.ts';
import { runLoad, type HttpRequest } from './http-load.ts';

// The API's HTTP layer alone: the app of a source tree (`createApp`) served as the Node entry
// serves it (@hono/node-server, pino on an asynchronous destination, Prometheus metrics), over a
// store and a committer that answer at once. Under the bench's load client (16 keep-alive
// connections), the server's CPU a request is what the HTTP layer costs: routing, middleware,
// validation, the log line, the metrics and the answer, without the database's work.
//
// A tree is a `src` directory with `node_modules` and `build` beside it: this checkout's, or a
// commit's (`git archive <commit> src | tar -x -C dir`, and links to this checkout's two).
//
//   node scripts/bench/http-layer.ts compare <srcA> <srcB> [reads|writes] [turns] [requests]
//     A and B served side by side and loaded in turns (A B A B ...): CPU a request and requests/s.
//   node scripts/bench/http-layer.ts compare <src> '<src>#log' reads
//     The same app with and without its log line (also: metrics, redact, sink, syncsink).
//   node scripts/bench/http-layer.ts compare bare-hono <src> reads
//     The floors: bare-http (node:http) and bare-hono (Hono on @hono/node-server).
//   node scripts/bench/http-layer.ts inprocess <src> reads|writes
//     The app through app.fetch in this process, one request at a time: CPU a request in µs.
//   node [--cpu-prof] scripts/bench/http-layer.ts serve <src> <port>
//     One server, until SIGTERM; `load <port> [reads|writes] [requests]` sends it a load.

const KEY = 'lk_http_layer_bench_key_0123456789';
const LEDGER = 'bench';
const NOW_MICROS = BigInt(Date.now()) * 1000n;

interface Loaded {
  readonly createApp: (deps: unknown) => { fetch: (request: Request, env?: unknown) => Response | Promise<Response> };
  readonly PrometheusMetrics: new (options: { access: 'admin' }) => unknown;
}

async function loadTree(src: string): Promise<Loaded> {
  const at = (path: string) => pathToFileURL(resolve(src, path)).href;
  const [{ createApp }, { PrometheusMetrics }] = await Promise.all([import(at('adapters/http/app.ts')), import(at('adapters/metrics/prometheus.ts'))]);
  return { createApp, PrometheusMetrics };
}

const account = { accountId: 'wallet', name: 'wallet', normalBalance: 'debit', currency: 'USD', noOverdraft: false, metadata: {}, type: null, closed: false, position: 3, recordedAt: NOW_MICROS - 5_000_000n };

/** A store whose reads answer at once: a balance, a ledger, the bench's key. */
const store = {
  apiKeyByHash: async () => ({ keyId: 'key_bench', name: 'bench', role: 'admin', ledgerIds: null, revoked: false }),
  ledgerTimezone: async () => 'UTC',
  ledger: async () => ({ ledgerId: LEDGER, name: 'bench', timezone: 'UTC', head: 1000, closedThrough: null }),
  balanceRead: async (_ledgerId: string, _accountId: string, _at: unknown, effectiveAt: bigint | undefined) => ({
    point: { position: 812, recordedAt: NOW_MICROS - 1_234_567n, now: NOW_MICROS },
    found: {
      account, effectiveAt: effectiveAt ?? NOW_MICROS, assetScale: null,
      sums: { postedDebits: '123456.78', postedCredits: '98765.43', pendingDebits: '0', pendingCredits: '0', scheduledDebits: '0', scheduledCredits: '12.50' },
    },
  }),
};

let position = 1000;
/** A committer that records every write at once, as the group committer answers a new one. */
const committer = {
  submit: async (ledgerId: string, request: { command: { transaction: Record<string, unknown> & { postings: { accountId: string; direction: string; amount: string }[] } }; actor: string; requestId: string }) => {
    const t = request.command.transaction;
    const data = {
      id: t.id, status: t.status, effectiveAt: '2026-12-07T12:00:00.000000Z', expiresAt: null, description: t.description, metadata: t.metadata,
      postings: t.postings.map((p) => ({ accountId: p.accountId, direction: p.direction, amount: p.amount, currency: 'USD' })), reverses: null, corrects: null, reason: null,
    };
    position += 1;
    return {
      replayed: false,
      events: [{ ledgerId, position, recordedAt: BigInt(Date.now()) * 1000n, actor: request.actor, requestId: request.requestId, prevHash: '0'.repeat(64), hash: '1'.repeat(64), event: { type: 'TransactionRecorded', data } }],
    };
  },
};

/** The app of `src` as the Node entry makes it, its log lines written to /dev/null. */
async function appOf(src: string) {
  const [{ createApp, PrometheusMetrics }, { default: pino }] = await Promise.all([loadTree(src), import('pino')]);
  // HTTP_LAYER_WITHOUT (or `src#...` in compare): the same app without its log line (log), its
  // metrics, the log's redaction, or the log's destination (sink: a no-op; syncsink: written at once).
  const without = (process.env.HTTP_LAYER_WITHOUT ?? '').split(',');
  const logger = pino({
    level: 'info', timestamp: pino.stdTimeFunctions.isoTime,
    ...(without.includes('redact') ? {} : { redact: { paths: ['key', '*.key', 'authorization', '*.authorization', 'headers', '*.headers'], censor: '[redacted]' } }),
  }, without.includes('sink') ? { write: () => {} } : without.includes('syncsink') ? pino.destination({ dest: openSync('/dev/null', 'w'), sync: true }) : pino.destination({ dest: openSync('/dev/null', 'w'), sync: false }));
  return createApp({
    store, committer, ...(without.includes('log') ? {} : { logger }), ...(without.includes('metrics') ? {} : { metrics: new PrometheusMetrics({ access: 'admin' }) }),
  });
}

/** The floors: `node:http` answering the balance's JSON, and Hono doing so on @hono/node-server. */
async function floorApp(src: string) {
  const answer = JSON.stringify(await store.balanceRead('', '', {}, undefined), (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  if (src === 'bare-http') {
    const { createServer } = await import('node:http');
    return { listen: (port: number) => createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) }).end(answer)).listen(port, '127.0.0.1', () => console.log('listening')) };
  }
  const { Hono } = await import('hono');
  const app = new Hono();
  app.get('/v1/ledgers/:ledgerId/accounts/:accountId/balance', (c) => c.json(JSON.parse(answer) as object));
  app.post('/v1/ledgers/:ledgerId/transactions', async (c) => c.json(await c.req.json<object>(), 201));
  return { fetch: app.fetch };
}

async function serve(src: string, port: number): Promise<void> {
  if (src === 'bare-http') return void (await floorApp(src)).listen!(port);
  const [app, { serve: serveNode }] = await Promise.all([src === 'bare-hono' ? floorApp(src) : appOf(src), import('@hono/node-server')]);
  serveNode({ fetch: app.fetch!, port, hostname: '127.0.0.1' }, () => console.log('listening'));
  process.on('SIGTERM', () => process.exit(0)); // a normal exit: `node --cpu-prof` writes its profile then
}

const TRANSFER = (i: number) => JSON.stringify({ id: `tx-${i}-${NOW_MICROS}`, postings: [{ accountId: 'a-1', direction: 'debit', amount: '12.34' }, { accountId: 'a-2', direction: 'credit', amount: '12.34' }] });
const REQUESTS: Record<string, (i: number) => HttpRequest> = {
  reads: (i) => ({ method: 'GET', path: `/v1/ledgers/${LEDGER}/accounts/wallet/balance?recordedAsOf=2026-12-07T10:00:0${i % 10}.123456Z&effectiveAsOf=2026-12-0${1 + (i % 7)}T00:00:00Z` }),
  writes: (i) => ({ method: 'POST', path: `/v1/ledgers/${LEDGER}/transactions`, body: TRANSFER(i) }),
};

/** `src#log,metrics`: the app of src without its log line and metrics (HTTP_LAYER_WITHOUT, in appOf), for what they cost. */
function startServer(given: string, port: number): Promise<ChildProcess> {
  const [src, without] = given.split('#') as [string, string | undefined];
  const env = without === undefined ? process.env : { ...process.env, HTTP_LAYER_WITHOUT: without };
  const child = spawn(process.execPath, [new URL(import.meta.url).pathname, 'serve', src, String(port)], { stdio: ['ignore', 'pipe', 'inherit'], env });
  return new Promise((ready, fail) => {
    child.stdout!.once('data', () => ready(child));
    child.once('exit', (code) => fail(new Error(`the server of ${src} exited (${code})`)));
  });
}

/** `count` requests from 16 clients. */
const load = (port: number, kind: string, count: number) =>
  runLoad(port, { Authorization: `Bearer ${KEY}` }, 16, (i) => (i < count ? REQUESTS[kind]!(i) : null));

/** A server of `src` on a free port, warmed by 5,000 requests (its code compiled by V8's optimizing tier). */
async function warmServer(src: string, kind: string) {
  const port = 18_000 + Math.floor(Math.random() * 2000);
  const child = await startServer(src, port);
  await load(port, kind, 5000);
  return { child, port };
}

/** `count` requests to one server: its CPU (ms), the requests answered and the time taken (s). */
async function measure(server: { child: ChildProcess; port: number }, kind: string, count: number) {
  const before = processCpuMs(server.child.pid!);
  const measured = await load(server.port, kind, count);
  return { cpuMs: processCpuMs(server.child.pid!) - before, answered: measured.answered, seconds: measured.seconds };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * A and B served side by side, each warmed, then loaded in turns (A, B, A, B ...) of `count`
 * requests, so that the machine's other load falls on both alike: the CPU a request of each
 * over all its turns, and B/A turn by turn.
 */
async function compare(srcA: string, srcB: string, kind: string, turns: number, count: number): Promise<void> {
  const servers = { A: await warmServer(srcA, kind), B: await warmServer(srcB, kind) };
  const totals = { A: { cpuMs: 0, answered: 0, seconds: 0 }, B: { cpuMs: 0, answered: 0, seconds: 0 } };
  const ratios: number[] = [];
  try {
    for (let turn = 0; turn < turns; turn++) {
      const [a, b] = [await measure(servers.A, kind, count), await measure(servers.B, kind, count)];
      ratios.push((b.cpuMs / b.answered) / (a.cpuMs / a.answered));
      for (const [side, result] of [['A', a], ['B', b]] as const) {
        totals[side].cpuMs += result.cpuMs;
        totals[side].answered += result.answered;
        totals[side].seconds += result.seconds;
      }
    }
  } finally {
    servers.A.child.kill('SIGKILL');
    servers.B.child.kill('SIGKILL');
  }
  const us = (side: 'A' | 'B') => (totals[side].cpuMs * 1000) / totals[side].answered;
  const rate = (side: 'A' | 'B') => Math.round(totals[side].answered / totals[side].seconds);
  console.log(`${kind}, ${turns} turns of ${count}: A ${us('A').toFixed(1)} us a request (${rate('A')}/s), B ${us('B').toFixed(1)} us (${rate('B')}/s); `
    + `B/A ${(us('B') / us('A')).toFixed(2)}, turn by turn ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)} (median ${median(ratios).toFixed(2)})`);
}

/**
 * In this process, one request at a time through `app.fetch` (a web Request, no socket): the
 * CPU a request costs above the server adapter, in microseconds, after `count` requests of warm-up.
 */
async function inProcess(src: string, kind: string, count: number): Promise<number> {
  const app = await appOf(src);
  const headers = { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' };
  const once = async (i: number) => {
    const { method, path, body } = REQUESTS[kind]!(i);
    const answer = await app.fetch(new Request(`http://127.0.0.1${path}`, { method, headers, ...(body === undefined ? {} : { body }) }));
    if (answer.status >= 300) throw new Error(`${path} answered ${answer.status}: ${await answer.text()}`);
    await answer.arrayBuffer();
  };
  for (let i = 0; i < count; i++) await once(i);
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) await once(count + i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / count;
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') await serve(args[0]!, Number(args[1]));
else if (mode === 'load') console.log(await load(Number(args[0]), args[1] ?? 'reads', Number(args[2] ?? 20_000)).then((r) => `${Math.round(r.answered / r.seconds)}/s`));
else if (mode === 'inprocess') console.log((await inProcess(args[0]!, args[1] ?? 'reads', Number(args[2] ?? 20_000))).toFixed(1));
else if (mode === 'compare') await compare(args[0]!, args[1]!, args[2] ?? 'reads', Number(args[3] ?? 10), Number(args[4] ?? 3000));
else {
  console.error('usage: http-layer.ts compare <srcA> <srcB> [reads|writes] [turns] [requests] | serve <src> <port>');
  process.exit(2);
}
