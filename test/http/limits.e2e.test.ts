import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type Limits } from '../../src/adapters/http/limits.ts';
import { MAX_BATCH, MAX_PAGE_SIZE, MAX_POSTINGS } from '../../src/adapters/http/schemas.ts';
import { configFrom, DEFAULT_STATEMENT_TIMEOUT_MS } from '../../src/entry/config.ts';
import { startServer, stopAllServers } from '../support/server.ts';
import { answerOf, describeOnEachDatabase, expectProblem, testApi, transfer, type Answer, type Json, type TestApi } from '../support/http.ts';

// Spec sections 5 (413, 429, "no client input gets a 5xx", "a refused write records nothing")
// and 8 (limits on body, postings, batch, page size, per-key rate; keys never shown again).
// Each test builds its own app over the suite's database with the limits it needs: the limits,
// the rate buckets and the counters belong to one app, so tests do not disturb one another.

const MAX_BODY = 2048;
const SMALL: Partial<Limits> = { maxBodyBytes: MAX_BODY, maxPostings: 3, maxBatch: 2, maxPageSize: 5 };

const day = (n: number) => `2026-03-${String(n).padStart(2, '0')}T10:00:00Z`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `count` postings that balance: alternately 1.00 debit bank / 1.00 credit alice (count even). */
function postings(count: number): Json[] {
  return Array.from({ length: count }, (_, i) => (i % 2 === 0
    ? { accountId: 'bank', direction: 'debit', amount: '1.00' }
    : { accountId: 'alice', direction: 'credit', amount: '1.00' }));
}

/** A JSON text of exactly `bytes` bytes: the body, then insignificant trailing whitespace. */
function paddedTo(body: Json, bytes: number): string {
  const text = JSON.stringify(body);
  if (Buffer.byteLength(text) > bytes) throw new Error(`the body is already ${Buffer.byteLength(text)} bytes`);
  return text + ' '.repeat(bytes - Buffer.byteLength(text));
}

/** Sends a raw Request through the in-process app, answers like TestApi.call. */
async function send(api: TestApi, request: Request): Promise<Answer> {
  return answerOf(await api.app.request(request));
}

/** A POST whose body arrives as a stream of chunks, without Content-Length (chunked upload). */
function streamedPost(url: string, key: string, text: string, chunkBytes = 500): Request {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + chunkBytes));
      offset += chunkBytes;
    },
  });
  const request = new Request(`http://localhost${url}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: stream,
    duplex: 'half',
  } as RequestInit & { duplex: 'half' });
  expect(request.headers.has('content-length')).toBe(false);
  return request;
}

/** A POST carrying its Content-Length, as a client that knows its body's size sends it. */
function sizedPost(url: string, key: string, text: string): Request {
  return new Request(`http://localhost${url}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) },
    body: text,
  });
}

describeOnEachDatabase('limits', (api) => {
  /** An app over the suite's database with these limits (rate off unless given), and its admin key. */
  const limitedApi = (limits: Partial<Limits>, log?: (line: Record<string, unknown>) => void) =>
    testApi(api.database, { limits, ...(log ? { log } : {}) });

  const newKey = async (role: string, ledgerIds?: string[]) => {
    const created = await api.call('POST', '/v1/keys', { body: { name: `${role} key`, role, ...(ledgerIds ? { ledgerIds } : {}) } });
    expect(created.status, created.text).toBe(201);
    return created.body as { id: string; key: string };
  };

  describe('request body size', () => {
    it('refuses a body over the limit with 413, with or without Content-Length, and records nothing', async () => {
      const limited = await limitedApi(SMALL);
      const ledgerId = await api.seedLedger();
      const url = `/v1/ledgers/${ledgerId}/transactions`;
      const head = await api.head(ledgerId);

      const over = paddedTo(transfer('big-1', day(1), 'bank', 'alice', '1.00'), MAX_BODY + 1);
      const sized = await send(limited, sizedPost(url, limited.adminKey, over));
      expectProblem(sized, 413, 'PAYLOAD_TOO_LARGE');
      const streamed = await send(limited, streamedPost(url, limited.adminKey, over));
      expectProblem(streamed, 413, 'PAYLOAD_TOO_LARGE');
      // Far over, in many chunks: refused, not buffered whole.
      const huge = paddedTo(transfer('big-2', day(1), 'bank', 'alice', '1.00'), 50 * MAX_BODY);
      expectProblem(await send(limited, streamedPost(url, limited.adminKey, huge, 256)), 413, 'PAYLOAD_TOO_LARGE');
      expectProblem(await send(limited, sizedPost(url, limited.adminKey, huge)), 413, 'PAYLOAD_TOO_LARGE');
      expect(await api.head(ledgerId)).toBe(head);
      expect((await api.call('GET', `${url}/big-1`)).status).toBe(404);
    });

    it('accepts a body of exactly the limit, with or without Content-Length', async () => {
      const limited = await limitedApi(SMALL);
      const ledgerId = await api.seedLedger();
      const url = `/v1/ledgers/${ledgerId}/transactions`;
      const head = await api.head(ledgerId);

      const sized = await send(limited, sizedPost(url, limited.adminKey, paddedTo(transfer('at-1', day(1), 'bank', 'alice', '1.00'), MAX_BODY)));
      expect(sized.status, sized.text).toBe(201);
      const streamed = await send(limited, streamedPost(url, limited.adminKey, paddedTo(transfer('at-2', day(1), 'bank', 'alice', '1.00'), MAX_BODY)));
      expect(streamed.status, streamed.text).toBe(201);
      expect(await api.head(ledgerId)).toBe(head + 2);
    });
  });

  describe('counts', () => {
    it('refuses more postings than maxPostings wherever postings are, with the path, and records nothing', async () => {
      const limited = await limitedApi(SMALL);
      const ledgerId = await api.seedLedger();
      const path = `/v1/ledgers/${ledgerId}`;
      const call = (suffix: string, body: Json) => limited.call('POST', `${path}${suffix}`, { body });
      // What the refusals below are about: a posted transaction and a hold, within the limits.
      expect((await call('/transactions', transfer('orig', day(1), 'bank', 'alice', '10.00'))).status).toBe(201);
      expect((await call('/transactions', { id: 'hold', status: 'pending', postings: [
        { accountId: 'alice', direction: 'debit', amount: '2.00' }, { accountId: 'merchant', direction: 'credit', amount: '2.00' },
      ] })).status).toBe(201);
      const head = await api.head(ledgerId);

      const cases: [string, Json, string][] = [
        ['/transactions', { id: 'too-many', effectiveAt: day(2), postings: postings(4) }, 'postings'],
        ['/transactions/orig/correct', { reason: 'more lines', replacement: { id: 'repl', effectiveAt: day(1), postings: postings(4) } }, 'replacement.postings'],
        ['/transactions/batch', { transactions: [transfer('b-ok', day(3), 'bank', 'alice', '1.00'), { id: 'b-big', effectiveAt: day(3), postings: postings(4) }] }, 'transactions.1.postings'],
        ['/transactions/hold/post', { postings: [
          { accountId: 'alice', direction: 'debit', amount: '0.50' }, { accountId: 'merchant', direction: 'credit', amount: '0.50' },
          { accountId: 'alice', direction: 'debit', amount: '0.50' }, { accountId: 'merchant', direction: 'credit', amount: '0.50' },
        ] }, 'postings'],
      ];
      for (const [suffix, body, errorPath] of cases) {
        const answer = await call(suffix, body);
        expectProblem(answer, 400, 'VALIDATION_FAILED');
        expect(answer.body.errors, suffix).toEqual([{ path: errorPath, message: expect.stringContaining('3') }]);
      }
      // At the limit, the same writes pass the count check (3 postings balance when one is 2.00).
      const three = [{ accountId: 'bank', direction: 'debit', amount: '2.00' }, { accountId: 'alice', direction: 'credit', amount: '1.00' }, { accountId: 'alice', direction: 'credit', amount: '1.00' }];
      expect((await call('/transactions', { id: 'three', effectiveAt: day(2), postings: three })).status).toBe(201);
      expect(await api.head(ledgerId)).toBe(head + 1);
    });

    it('refuses a batch over maxBatch with 400 and records none of it', async () => {
      const limited = await limitedApi(SMALL);
      const ledgerId = await api.seedLedger();
      const head = await api.head(ledgerId);
      const items = [1, 2, 3].map((n) => transfer(`b${n}`, day(n), 'bank', 'alice', '1.00'));
      const answer = await limited.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions: items } });
      expectProblem(answer, 400, 'VALIDATION_FAILED');
      expect(answer.body.errors).toEqual([{ path: 'transactions', message: expect.stringContaining('2') }]);
      expect(await api.head(ledgerId)).toBe(head);
      const atLimit = await limited.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions: items.slice(0, 2) } });
      expect(atLimit.status, atLimit.text).toBe(200);
      expect(await api.head(ledgerId)).toBe(head + 2);
    });

    it('refuses a list or feed `limit` over maxPageSize, and pages by min(100, maxPageSize) without one', async () => {
      const limited = await limitedApi(SMALL);
      const ledgerId = await api.seedLedger({ accounts: Array.from({ length: 7 }, (_, i) => ({ id: `acct-${i}`, normalBalance: 'debit', currency: 'USD' })) });
      const path = `/v1/ledgers/${ledgerId}`;
      for (const suffix of ['/accounts?limit=6', '/transactions?limit=6', '/events?limit=6', '/events?after=0&limit=1000']) {
        const answer = await limited.call('GET', `${path}${suffix}`);
        expectProblem(answer, 400, 'VALIDATION_FAILED');
        expect(answer.body.errors, suffix).toEqual([{ path: 'limit', message: expect.stringContaining('5') }]);
      }
      const atLimit = await limited.call('GET', `${path}/accounts?limit=5`);
      expect(atLimit.status, atLimit.text).toBe(200);
      expect(atLimit.body.items).toHaveLength(5);

      const page = await limited.call('GET', `${path}/accounts`);
      expect(page.status, page.text).toBe(200);
      expect(page.body.items).toHaveLength(5);
      expect(page.body.nextCursor).toEqual(expect.any(String));
      const rest = await limited.call('GET', `${path}/accounts?cursor=${encodeURIComponent(page.body.nextCursor)}`);
      expect(rest.body.items).toHaveLength(2);
      const feed = await limited.call('GET', `${path}/events?after=0`);
      expect(feed.status, feed.text).toBe(200);
      expect(feed.body.events).toHaveLength(5); // the ledger and its 7 accounts are 8 events

      // The default limits: a page without `limit` holds 100 items.
      const many = await api.seedLedger();
      const batch = await api.call('POST', `/v1/ledgers/${many}/transactions/batch`, {
        body: { atomic: true, transactions: Array.from({ length: 101 }, (_, i) => transfer(`p${i}`, day(1), 'bank', 'alice', '1.00')) },
      });
      expect(batch.status, batch.text).toBe(200);
      const defaultPage = await api.call('GET', `/v1/ledgers/${many}/transactions`);
      expect(defaultPage.status, defaultPage.text).toBe(200);
      expect(defaultPage.body.items).toHaveLength(100);
      expect(defaultPage.body.nextCursor).toEqual(expect.any(String));
    });
  });

  describe('request rate per key', () => {
    it('answers a key\'s 6th immediate request with 429 and Retry-After, leaves other keys alone, and lets it in again after the wait', async () => {
      const limited = await limitedApi({ ratePerSecond: 5, rateBurst: 5 });
      const ledgerId = await api.seedLedger();
      const path = `/v1/ledgers/${ledgerId}`;
      const writer = await newKey('writer', [ledgerId]);
      const reader = await newKey('reader', [ledgerId]);
      const head = await api.head(ledgerId);

      // Six writes at once (a burst of five, then one more): five recorded, the sixth refused
      // with nothing recorded. At once, so that the bucket cannot refill between them.
      const ids = [0, 1, 2, 3, 4, 5].map((n) => `rl-${n}`);
      const answers = await Promise.all(ids.map((id) => limited.call('POST', `${path}/transactions`, { key: writer.key, body: transfer(id, day(1), 'bank', 'alice', '1.00') })));
      expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 201, 201, 429]);
      const refusedAt = answers.findIndex((a) => a.status === 429);
      const refused = answers[refusedAt]!;
      expectProblem(refused, 429, 'RATE_LIMITED');
      const retryAfter = refused.headers.get('retry-after');
      expect(retryAfter).toMatch(/^[1-9][0-9]*$/);
      expect(await api.head(ledgerId)).toBe(head + 5);
      expect((await api.call('GET', `${path}/transactions/${ids[refusedAt]}`)).status).toBe(404);

      // Another key has its own bucket.
      const other = await limited.call('GET', path, { key: reader.key });
      expect(other.status, other.text).toBe(200);

      await sleep(Number(retryAfter) * 1000);
      const again = await limited.call('POST', `${path}/transactions`, { key: writer.key, body: transfer(ids[refusedAt], day(1), 'bank', 'alice', '1.00') });
      expect(again.status, again.text).toBe(201);
      expect(await api.head(ledgerId)).toBe(head + 6);
    });
  });

  describe('structured request logs', () => {
    it('logs one JSON object per request, with the request id, and never a key or its Authorization header', async () => {
      const lines: Record<string, unknown>[] = [];
      const logged = await limitedApi({}, (line) => lines.push(line));
      const ledgerId = await api.seedLedger();
      const created = await logged.call('POST', '/v1/keys', { body: { name: 'logged writer', role: 'writer', ledgerIds: [ledgerId] } });
      expect(created.status, created.text).toBe(201);
      const key = created.body.key as string;
      const keyId = created.body.id as string;
      const secret = key.replace(/^lk_/, '');
      expect(secret.length).toBeGreaterThanOrEqual(32);

      const path = `/v1/ledgers/${ledgerId}`;
      const answers: Answer[] = [
        created,
        await logged.call('GET', path, { key }),
        await logged.call('POST', `${path}/transactions`, { key, body: transfer('log-1', day(1), 'bank', 'alice', '1.00'), headers: { 'X-Request-Id': 'req-given-by-client' } }),
        await logged.call('POST', `${path}/transactions`, { key, rawBody: '{"not json' }),
        await logged.call('GET', `${path}/transactions/nope`, { key }),
        await logged.call('POST', '/v1/ledgers', { key, body: { id: 'x', name: 'x' } }),
        await logged.call('GET', path, { key: `${key}x` }),
      ];
      expect(answers.map((a) => a.status)).toEqual([201, 200, 201, 400, 404, 403, 401]);
      expect(lines).toHaveLength(answers.length);

      for (const [i, line] of lines.entries()) {
        const answer = answers[i]!;
        expect(line).toMatchObject({
          requestId: answer.headers.get('x-request-id'),
          method: expect.stringMatching(/^(GET|POST)$/),
          route: expect.stringMatching(/^\/v1\//),
          status: answer.status,
          durationMs: expect.any(Number),
        });
        expect(line.durationMs as number).toBeGreaterThanOrEqual(0);
        expect(line.code).toBe(answer.status >= 400 ? answer.body.code : null);
        const text = JSON.stringify(line);
        expect(text).not.toContain(key);
        expect(text).not.toContain(secret);
        expect(text).not.toContain(logged.adminKey);
        expect(text).not.toContain(logged.adminKey.replace(/^lk_/, ''));
        expect(text).not.toMatch(/bearer/i);
      }
      expect(lines.map((l) => l.keyId)).toEqual([expect.stringMatching(/^key_/), keyId, keyId, keyId, keyId, keyId, null]);
      expect(lines[2]!.requestId).toBe('req-given-by-client');
      expect(lines[2]!.route).toBe('/v1/ledgers/:ledgerId/transactions');
      expect(lines.map((l) => l.code)).toEqual([null, null, null, 'VALIDATION_FAILED', 'NOT_FOUND', 'FORBIDDEN', 'UNAUTHORIZED']);
    });
  });

  describe('metrics', () => {
    it('counts malformed requests by status and code, and stores them nowhere', async () => {
      const counted = await limitedApi({});
      const ledgerId = await api.seedLedger();
      const path = `/v1/ledgers/${ledgerId}`;
      const metrics = async () => {
        const answer = await counted.call('GET', '/v1/metrics');
        expect(answer.status, answer.text).toBe(200);
        return answer.body as { requests: number; byStatus: Record<string, number>; byCode: Record<string, number> };
      };
      const before = await metrics();
      const head = await api.head(ledgerId);

      const malformed: [string, string, { body?: unknown; rawBody?: string }][] = [
        ['POST', `${path}/transactions`, { rawBody: '{"id": ' }],
        ['POST', `${path}/transactions`, { body: { ...transfer('m-1', day(1), 'bank', 'alice', '1.00'), position: 7 } }],
        ['POST', `${path}/transactions`, { body: transfer('m-2', 'yesterday', 'bank', 'alice', '1.00') }],
        ['POST', `${path}/transactions`, { body: transfer('m-3', day(1), 'bank', 'alice', 'one') }],
        ['POST', `${path}/transactions/batch`, { body: { transactions: [] } }],
        ['GET', `${path}/accounts?limit=0`, {}],
        ['GET', `${path}/accounts/bank/balance?effectiveAsOf=soon`, {}],
      ];
      for (const [method, url, options] of malformed) expectProblem(await counted.call(method, url, options), 400, 'VALIDATION_FAILED');
      const after = await metrics();
      const n = malformed.length;
      expect((after.byCode.VALIDATION_FAILED ?? 0) - (before.byCode.VALIDATION_FAILED ?? 0)).toBe(n);
      expect((after.byStatus['400'] ?? 0) - (before.byStatus['400'] ?? 0)).toBe(n);
      expect(after.requests - before.requests).toBe(n + 1); // and the first GET /v1/metrics, a 200
      expect((after.byStatus['200'] ?? 0) - (before.byStatus['200'] ?? 0)).toBe(1);
      expect(await api.head(ledgerId)).toBe(head);

      // The rejection log keeps writes refused by a business rule, never malformed requests.
      const unknownAccount = await counted.call('POST', `${path}/transactions`, { body: transfer('r-1', day(1), 'bank', 'nobody', '1.00') });
      expectProblem(unknownAccount, 422, 'UNKNOWN_ACCOUNT');
      const rejections = await counted.call('GET', `${path}/rejections`);
      expect(rejections.status, rejections.text).toBe(200);
      expect(rejections.body.items.map((r: Json) => r.problem.code)).toEqual(['UNKNOWN_ACCOUNT']);
      expect(JSON.stringify(rejections.body)).not.toMatch(/m-[123]/);
      // Metrics are for admins only.
      const reader = await newKey('reader', [ledgerId]);
      expectProblem(await counted.call('GET', '/v1/metrics', { key: reader.key }), 403, 'FORBIDDEN');
    });
  });
});

describe('limits from the environment (configFrom)', () => {
  it('uses the defaults when nothing is set', () => {
    const config = configFrom({});
    expect(config.limits).toEqual(DEFAULT_LIMITS);
    expect(config.statementTimeoutMs).toBe(DEFAULT_STATEMENT_TIMEOUT_MS);
    expect(config).toMatchObject({ port: 3000, databaseUrl: undefined, dataDir: './data', bootstrapAdminKey: undefined });
    expect(DEFAULT_LIMITS).toMatchObject({ maxPostings: MAX_POSTINGS, maxBatch: MAX_BATCH, maxPageSize: MAX_PAGE_SIZE });
    expect(configFrom({ LEDGER_MAX_BATCH: '' }).limits.maxBatch).toBe(DEFAULT_LIMITS.maxBatch);
  });

  it('reads each variable', () => {
    const config = configFrom({
      LEDGER_MAX_BODY_BYTES: '4096', LEDGER_MAX_POSTINGS: '10', LEDGER_MAX_BATCH: '20', LEDGER_MAX_PAGE_SIZE: '30',
      LEDGER_RATE_LIMIT: '40', LEDGER_RATE_BURST: '50', LEDGER_STATEMENT_TIMEOUT_MS: '60',
    });
    expect(config.limits).toEqual({ maxBodyBytes: 4096, maxPostings: 10, maxBatch: 20, maxPageSize: 30, ratePerSecond: 40, rateBurst: 50 });
    expect(config.statementTimeoutMs).toBe(60);
    // The burst follows a configured rate (twice it) unless set; 0 turns the rate limit and the timeout off.
    expect(configFrom({ LEDGER_RATE_LIMIT: '7' }).limits).toMatchObject({ ratePerSecond: 7, rateBurst: 14 });
    expect(configFrom({ LEDGER_RATE_LIMIT: '0' }).limits.ratePerSecond).toBe(0);
    expect(configFrom({ LEDGER_STATEMENT_TIMEOUT_MS: '0' }).statementTimeoutMs).toBe(0);
  });

  it('refuses bad values, naming the variable', () => {
    const bad: [string, string][] = [
      ['LEDGER_MAX_BATCH', '5000'],
      ['LEDGER_MAX_BATCH', '0'],
      ['LEDGER_RATE_LIMIT', 'abc'],
      ['LEDGER_RATE_BURST', '0'],
      ['LEDGER_MAX_BODY_BYTES', '10'],
      ['LEDGER_MAX_BODY_BYTES', '1e6'],
      ['LEDGER_MAX_POSTINGS', '1'],
      ['LEDGER_MAX_POSTINGS', '1001'],
      ['LEDGER_MAX_PAGE_SIZE', '-5'],
      ['LEDGER_MAX_PAGE_SIZE', '2.5'],
      ['LEDGER_STATEMENT_TIMEOUT_MS', 'ten'],
      ['LEDGER_STATEMENT_TIMEOUT_MS', ' 100'],
    ];
    for (const [name, value] of bad) expect(() => configFrom({ [name]: value }), `${name}=${value}`).toThrow(name);
  });
});

// On Node the guards read the body from Node's request stream themselves (request-guards.ts):
// the same limit over real HTTP, with a declared length and chunked.
/** A POST over real HTTP, its body sent in one piece or chunked (no Content-Length). */
type Post = (path: string, body: string, chunked: boolean) => Promise<Answer>;

/**
 * Runs `work` against a server of its own on PGlite (with `env`), whose ledger `ledgerId` has a
 * debit-normal `bank` and a credit-normal `alice`; `get` reads a path as the admin.
 */
async function withLedgerServer(env: Record<string, string>, ledgerId: string, work: (post: Post, get: (path: string) => Promise<Answer>) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'ledger-limits-'));
  const key = `lk_${randomBytes(24).toString('base64url')}`;
  const server = await startServer({ DATA_DIR: join(dir, 'data'), LEDGER_BOOTSTRAP_ADMIN_KEY: key, ...env });
  try {
    const base = `http://127.0.0.1:${server.port}`;
    const post: Post = (path, body, chunked) => fetch(`${base}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: chunked ? new Blob([body]).stream() : body,
      ...(chunked ? { duplex: 'half' } : {}),
      signal: AbortSignal.timeout(20_000),
    } as RequestInit).then(answerOf);
    const get = (path: string) => fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${key}` } }).then(answerOf);
    expect((await post('/v1/ledgers', JSON.stringify({ id: ledgerId, name: ledgerId }), false)).status).toBe(201);
    for (const id of ['bank', 'alice']) {
      const account = JSON.stringify({ id, normalBalance: id === 'bank' ? 'debit' : 'credit', currency: 'USD' });
      expect((await post(`/v1/ledgers/${ledgerId}/accounts`, account, true)).status).toBe(201);
    }
    await work(post, get);
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

describe('the body limit over real HTTP', () => {
  afterAll(() => stopAllServers());

  it('refuses a body over the limit with 413 with or without Content-Length, and takes one at the limit', { timeout: 60_000 }, async () => {
    await withLedgerServer({ LEDGER_MAX_BODY_BYTES: String(MAX_BODY) }, 'limits', async (post, get) => {
      const url = '/v1/ledgers/limits/transactions';
      // Refused: 413, or, as HTTP allows, the connection closed while the client was still sending
      // a body the server would not read (fetch then fails with ECONNRESET, or EPIPE when the
      // close came before its next write).
      const refused = async (body: string, chunked: boolean) => {
        const answer = await post(url, body, chunked).catch((error: Error) => error);
        if (answer instanceof Error) expect(['ECONNRESET', 'EPIPE']).toContain(String((answer.cause as { code?: string } | undefined)?.code));
        else expectProblem(answer, 413, 'PAYLOAD_TOO_LARGE');
      };
      for (const chunked of [false, true]) {
        await refused(paddedTo(transfer(`over-${chunked}`, day(1), 'bank', 'alice', '1.00'), MAX_BODY + 1), chunked);
        await refused(paddedTo(transfer(`huge-${chunked}`, day(1), 'bank', 'alice', '1.00'), 50 * MAX_BODY), chunked);
        const at = await post(url, paddedTo(transfer(`at-${chunked}`, day(1), 'bank', 'alice', '1.00'), MAX_BODY), chunked);
        expect(at.status, at.text).toBe(201);
      }
      // Malformed JSON and a wrong media type are still 400, read from Node's stream.
      expectProblem(await post(url, '{"id":', false), 400, 'VALIDATION_FAILED');
      expect((await get('/v1/ledgers/limits')).body.head).toBe(5);
    });
  });

  // A body larger than a stream's buffer arrives in many chunks: read whole, and only once (a
  // second reader of the same request stalled both, and the request never got an answer).
  it('reads bodies of up to the default limit whole, in one piece or chunked', { timeout: 60_000 }, async () => {
    await withLedgerServer({}, 'big', async (post, get) => {
      for (const chunked of [false, true]) {
        const at = await post('/v1/ledgers/big/transactions', paddedTo(transfer(`at-${chunked}`, day(1), 'bank', 'alice', '1.00'), DEFAULT_LIMITS.maxBodyBytes), chunked);
        expect(at.status, at.text).toBe(201);
        const batch = { transactions: Array.from({ length: 1000 }, (_, i) => transfer(`batch-${chunked}-${i}`, day(2), 'bank', 'alice', '1.00')) };
        const answer = await post('/v1/ledgers/big/transactions/batch', JSON.stringify(batch), chunked);
        expect(answer.status, answer.text).toBe(200);
      }
      expect((await get('/v1/ledgers/big')).body.head).toBe(1 + 2 + 2 * 1001);
    });
  });
});
