import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { createApp } from '../../src/adapters/http/app.ts';
import { createApiKey } from '../../src/app/api-keys.ts';
import { GroupCommitter } from '../../src/app/group-commit.ts';
import { openDatabase } from '../../src/entry/open-database.ts';
import { call, startServer, stopAllServers, type Json, type Server } from '../support/server.ts';
import { transfer } from '../support/http.ts';

// Spec section 6, issue acceptance: "The SSE stream delivers new events within a second and
// resumes without loss after the client reconnects." A real server (as `npm start` runs it, on
// PGlite in a temporary DATA_DIR) is read with fetch and a hand-written SSE parser.

const ROOT = new URL('../../', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface SseMessage {
  readonly id: string | undefined;
  readonly event: string | undefined;
  readonly data: string;
  /** performance.now() when the message was complete. */
  readonly at: number;
}

interface SseReader {
  readonly status: number;
  readonly contentType: string | null;
  readonly messages: SseMessage[];
  readonly comments: string[];
  /** Resolves once `predicate` holds of the messages so far; rejects after `timeoutMs`. */
  until(predicate: (messages: SseMessage[]) => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Aborts the request (the client goes away). */
  close(): Promise<void>;
}

/**
 * Opens an SSE stream with fetch and parses it by the WHATWG rules: lines end in CR, LF or CRLF;
 * a blank line dispatches; `:` starts a comment; `field: value` with one optional space.
 */
async function openStream(url: string, headers: Record<string, string>): Promise<SseReader> {
  const controller = new AbortController();
  const connectTimer = setTimeout(() => controller.abort(new Error('no response headers within 5 s')), 5000);
  const response = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal: controller.signal });
  clearTimeout(connectTimer);
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  let failure: unknown;
  let ended = false;
  const notify = () => { for (const w of waiters) w(); };

  const pump = (async () => {
    if (!response.body) return;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let fields: { id?: string; event?: string; data: string[] } = { data: [] };
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        for (;;) {
          const match = /\r\n|\r|\n/.exec(buffer);
          if (!match) break;
          // A lone CR at the very end may be the first half of a CRLF: wait for more.
          if (match[0] === '\r' && match.index === buffer.length - 1) break;
          const line = buffer.slice(0, match.index);
          buffer = buffer.slice(match.index + match[0].length);
          if (line === '') {
            if (fields.data.length > 0 || fields.id !== undefined || fields.event !== undefined) {
              messages.push({ id: fields.id, event: fields.event, data: fields.data.join('\n'), at: performance.now() });
              notify();
            }
            fields = { data: [] };
          } else if (line.startsWith(':')) {
            comments.push(line.slice(1).trim());
            notify();
          } else {
            const colon = line.indexOf(':');
            const name = colon === -1 ? line : line.slice(0, colon);
            let value = colon === -1 ? '' : line.slice(colon + 1);
            if (value.startsWith(' ')) value = value.slice(1);
            if (name === 'data') fields.data.push(value);
            else if (name === 'id') fields.id = value;
            else if (name === 'event') fields.event = value;
          }
        }
      }
    } catch (error) {
      if (!controller.signal.aborted) failure = error;
    } finally {
      ended = true;
      notify();
    }
  })();

  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    messages,
    comments,
    until(predicate, timeoutMs, what) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (predicate(messages)) return finish(resolve);
          if (failure) return finish(() => reject(failure));
          if (ended) return finish(() => reject(new Error(`the stream ended before ${what}`)));
        };
        const timer = setTimeout(() => finish(() => reject(new Error(`not within ${timeoutMs} ms: ${what} (got ${messages.map((m) => m.id).join(',')})`))), timeoutMs);
        const finish = (then: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          then();
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      controller.abort();
      await pump;
    },
  };
}

const positions = (messages: readonly SseMessage[]) => messages.map((m) => Number(m.id));
const lastPosition = (messages: readonly SseMessage[]) => Number(messages.at(-1)?.id ?? 0);
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

describe('the event stream over real HTTP, on PGlite', () => {
  let dataDir: string;
  let server: Server;
  const adminKey = `lk_${randomBytes(24).toString('base64url')}`;
  const ledgerId = 'stream';
  let auditorKey: string;
  let readerKey: string;
  const readers: SseReader[] = [];
  const base = () => `http://127.0.0.1:${server.port}`;
  const streamUrl = (query = '') => `${base()}/v1/ledgers/${ledgerId}/events/stream${query}`;
  const open = async (query = '', headers: Record<string, string> = {}) => {
    const reader = await openStream(streamUrl(query), { Authorization: `Bearer ${auditorKey}`, ...headers });
    readers.push(reader);
    expect(reader.status).toBe(200);
    expect(reader.contentType).toMatch(/^text\/event-stream/);
    return reader;
  };
  let counter = 0;
  const write = async () => {
    counter += 1;
    const answer = await call(server, adminKey, 'POST', `/v1/ledgers/${ledgerId}/transactions`, transfer(`s${counter}`, '2026-04-01T10:00:00Z', 'bank', 'alice', `${counter}.00`));
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body.position as number;
  };
  const head = async () => (await call(server, adminKey, 'GET', `/v1/ledgers/${ledgerId}`)).body.head as number;
  const feed = async (after: number, limit: number) => (await call(server, auditorKey, 'GET', `/v1/ledgers/${ledgerId}/events?after=${after}&limit=${limit}`)).body.events as Json[];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ledger-stream-'));
    server = await startServer({ DATA_DIR: dataDir, LEDGER_BOOTSTRAP_ADMIN_KEY: adminKey });
    expect((await call(server, adminKey, 'POST', '/v1/ledgers', { id: ledgerId, name: 'Stream' })).status).toBe(201);
    for (const account of [{ id: 'bank', normalBalance: 'debit', currency: 'USD' }, { id: 'alice', normalBalance: 'credit', currency: 'USD' }]) {
      expect((await call(server, adminKey, 'POST', `/v1/ledgers/${ledgerId}/accounts`, account)).status).toBe(201);
    }
    auditorKey = (await call(server, adminKey, 'POST', '/v1/keys', { name: 'auditor', role: 'auditor', ledgerIds: [ledgerId] })).body.key;
    readerKey = (await call(server, adminKey, 'POST', '/v1/keys', { name: 'reader', role: 'reader', ledgerIds: [ledgerId] })).body.key;
  });

  afterAll(async () => {
    for (const reader of readers) await reader.close();
    if (server) {
      const stopped = await Promise.race([server.stop(), sleep(10_000).then(() => 'timeout' as const)]);
      if (stopped === 'timeout') stopAllServers();
    }
    stopAllServers();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('replays from after=X, then delivers each new event within a second of its commit', async () => {
    const startHead = await head();
    const reader = await open('?after=1');
    await reader.until((m) => lastPosition(m) === startHead, 2000, `the replay up to ${startHead}`);
    expect(positions(reader.messages)).toEqual(range(2, startHead));
    const latencies: number[] = [];
    for (let i = 0; i < 6; i++) {
      await sleep(50 + Math.random() * 250);
      const sent = performance.now();
      const position = await write();
      const committed = performance.now();
      await reader.until((m) => lastPosition(m) >= position, 1000, `position ${position} within 1000 ms`);
      const arrived = reader.messages.find((m) => Number(m.id) === position)!.at;
      latencies.push(Math.round(arrived - committed));
      expect(arrived - sent).toBeLessThan(1000);
    }
    console.log(`SSE latency after the 201 (ms): ${latencies.join(', ')}`);
    expect(Math.max(...latencies)).toBeLessThan(1000);
    // Each message: id = position, event = type, data = the event exactly as the feed gives it.
    const page = await feed(1, 1000);
    expect(reader.messages.map((m) => [m.id, m.event, m.data])).toEqual(page.map((e) => [String(e.position), e.type, JSON.stringify(e)]));
    await reader.close();
  });

  it('resumes from Last-Event-ID after the client goes away, without loss or repetition', async () => {
    // Catch up from 0, and stop reading in the middle of a burst.
    const burst = await call(server, adminKey, 'POST', `/v1/ledgers/${ledgerId}/transactions/batch`, {
      transactions: range(1, 40).map((i) => transfer(`burst-${i}`, '2026-04-02T10:00:00Z', 'bank', 'alice', '0.50')),
    });
    expect(burst.status).toBe(200);
    const burstEnd = await head();
    const first = await open('?after=0');
    const cut = burstEnd - 17;
    await first.until((m) => lastPosition(m) >= cut, 3000, `position ${cut}`);
    const lastSeen = Number(first.messages.find((m) => Number(m.id) === cut)!.id);
    await first.close();
    const seenBefore = first.messages.filter((m) => Number(m.id) <= lastSeen);
    expect(positions(seenBefore)).toEqual(range(1, lastSeen));

    // While disconnected: plain writes and a correction (two events in one commit).
    for (let i = 0; i < 3; i++) await write();
    const corrected = await call(server, adminKey, 'POST', `/v1/ledgers/${ledgerId}/transactions/burst-1/correct`, { reason: 'fix', replacement: transfer('burst-1b', '2026-04-02T10:00:00Z', 'bank', 'alice', '0.40') });
    expect(corrected.status).toBe(201);
    for (let i = 0; i < 2; i++) await write();
    const disconnectedHead = await head();

    // Reconnect as EventSource does: the last id seen in Last-Event-ID (which wins over ?after).
    const second = await open('?after=0', { 'Last-Event-ID': String(lastSeen) });
    await second.until((m) => lastPosition(m) >= disconnectedHead, 2000, `the missed events up to ${disconnectedHead}`);
    const live = await write();
    await second.until((m) => lastPosition(m) >= live, 1000, `the live event ${live}`);
    await sleep(600); // a few polls more: nothing else may come
    expect(positions(second.messages)).toEqual(range(lastSeen + 1, live));
    const all = [...seenBefore, ...second.messages];
    expect(positions(all)).toEqual(range(1, live));
    expect(new Set(all.map((m) => m.id)).size).toBe(all.length);
    const page = await feed(0, 1000);
    expect(all.map((m) => m.data)).toEqual(page.map((e) => JSON.stringify(e)));
    await second.close();
  });

  it('starts from after=X when Last-Event-ID is absent or not a position, and from the head when caught up', async () => {
    const now = await head();
    const garbage = await open(`?after=${now - 2}`, { 'Last-Event-ID': 'not-a-position' });
    await garbage.until((m) => m.length >= 2, 2000, 'two events');
    await sleep(400);
    expect(positions(garbage.messages)).toEqual([now - 1, now]);
    await garbage.close();
    // Caught up: the response starts at once, and the next event comes live.
    const startedAt = performance.now();
    const idle = await open(`?after=${now}`);
    const connectMs = performance.now() - startedAt;
    console.log(`SSE connect to an idle stream: ${Math.round(connectMs)} ms`);
    expect(connectMs).toBeLessThan(1000);
    const position = await write();
    await idle.until((m) => lastPosition(m) === position, 1000, `position ${position}`);
    expect(positions(idle.messages)).toEqual([position]);
    await idle.close();
  });

  it('refuses a reader key, an unknown ledger and a bad after', async () => {
    expect((await fetch(streamUrl(), { headers: { Authorization: `Bearer ${readerKey}` } })).status).toBe(403);
    expect((await fetch(streamUrl(), {})).status).toBe(401);
    expect((await fetch(`${base()}/v1/ledgers/nowhere/events/stream`, { headers: { Authorization: `Bearer ${auditorKey}` } })).status).toBe(404);
    expect((await fetch(streamUrl('?after=-1'), { headers: { Authorization: `Bearer ${auditorKey}` } })).status).toBe(400);
  });

  it('exports the feed with scripts/export.ts, and the export verifies offline against the digest', async () => {
    const env = { ...process.env, LEDGER_URL: base(), LEDGER_KEY: auditorKey };
    const { stdout } = await run(NODE, ['scripts/export.ts', ledgerId], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 });
    const lines = stdout.trim().split('\n');
    const page = await feed(0, 1000);
    expect(lines).toEqual(page.map((e) => JSON.stringify(e)));
    const file = join(dataDir, 'export.ndjson');
    await writeFile(file, stdout);
    const digest = (await call(server, auditorKey, 'GET', `/v1/ledgers/${ledgerId}/digest`)).body;
    const verified = await run(NODE, ['scripts/verify.ts', file, '--digest', `${digest.hash}@${digest.position}`], { cwd: ROOT });
    expect(verified.stdout).toMatch(new RegExp(`^OK: verified positions 1 to ${digest.position}, head hash ${digest.hash}, matching the digest at ${digest.position}`));
  });

  it('sends a heartbeat comment on a quiet stream', { timeout: 30_000 }, async () => {
    const quiet = await open(`?after=${await head()}`);
    const startedAt = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (quiet.comments.includes('heartbeat')) {
          clearInterval(timer);
          resolve();
        } else if (performance.now() - startedAt > 20_000) {
          clearInterval(timer);
          reject(new Error('no heartbeat within 20 s'));
        }
      }, 100);
    });
    console.log(`SSE heartbeat after ${Math.round(performance.now() - startedAt)} ms`);
    expect(quiet.messages).toEqual([]);
    await quiet.close();
  });

  it('stops within seconds on SIGTERM while a client is still connected', { timeout: 30_000 }, async () => {
    const connected = await open(`?after=${await head()}`);
    const stopping = server.stop();
    const outcome = await Promise.race([stopping.then((code) => ({ code })), sleep(5000).then(() => 'still running' as const)]);
    await connected.close();
    if (outcome === 'still running') {
      // Free the port and the files for afterAll, whatever the verdict.
      const late = await Promise.race([stopping.then((code) => `exited ${code} once the client left`), sleep(5000).then(() => 'still running after the client left')]);
      expect.fail(`the server did not exit within 5 s of SIGTERM while an SSE client was connected (${late})`);
    }
    expect(outcome).toEqual({ code: 0 });
  });
});

describe('the event stream in-process (app.request)', () => {
  it('streams, resumes from Last-Event-ID, and stops reading the database once the client goes away', async () => {
    const database = await openDatabase({ dataDir: 'memory://' });
    try {
      const store = createLedgerStore(database.db);
      let reads = 0;
      const counted = new Proxy(store, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (name !== 'eventsBetween' || typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            reads += 1;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      const app = createApp({ store: counted, committer: new GroupCommitter(counted) });
      const key = (await createApiKey(store, { name: 'admin', role: 'admin', ledgerIds: null })).key;
      const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
      const post = async (path: string, body: unknown) => {
        const response = await app.request(path, { method: 'POST', headers, body: JSON.stringify(body) });
        expect(response.status, await response.clone().text()).toBe(201);
        return (await response.json()) as Json;
      };
      await post('/v1/ledgers', { id: 'inproc', name: 'In process' });
      await post('/v1/ledgers/inproc/accounts', { id: 'bank', normalBalance: 'debit', currency: 'USD' });
      await post('/v1/ledgers/inproc/accounts', { id: 'alice', normalBalance: 'credit', currency: 'USD' });

      const controller = new AbortController();
      const response = await app.request('/v1/ledgers/inproc/events/stream', { headers: { ...headers, 'Last-Event-ID': '1' }, signal: controller.signal });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = '';
      const readUntil = async (needle: string) => {
        const deadline = performance.now() + 2000;
        while (!text.includes(needle)) {
          if (performance.now() > deadline) throw new Error(`no ${needle} in ${text}`);
          const { value, done } = await reader.read();
          if (done) throw new Error('the stream ended');
          text += decoder.decode(value, { stream: true });
        }
      };
      await readUntil('id: 3\n');
      expect(text).not.toContain('id: 1\n');
      expect(text).toContain('id: 2\n');
      await post('/v1/ledgers/inproc/transactions', transfer('x1', '2026-04-01T10:00:00Z', 'bank', 'alice', '1.00'));
      await readUntil('id: 4\n');
      expect(text.match(/^event: (\w+)$/gm)).toEqual(['event: AccountOpened', 'event: AccountOpened', 'event: TransactionRecorded']);

      // The client goes away: the server's loop must stop polling.
      await reader.cancel();
      controller.abort();
      await sleep(500);
      const after = reads;
      await sleep(1000);
      expect(reads - after, 'eventsBetween calls in the second after the client left').toBe(0);
    } finally {
      await database.close();
    }
  });
});
