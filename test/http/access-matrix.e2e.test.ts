import { describe, expect, it } from 'vitest';
import { uniqueLedgerId } from '../support/databases.ts';
import { describeOnEachDatabase, expectProblem, transfer, type Answer, type Json, type TestApi } from '../support/http.ts';

// Spec section 8, checked on every operation /openapi.json lists: no key or a revoked key is 401;
// a key used on a ledger outside its scope is 404, as if the ledger did not exist, before its role
// is looked at; a role that may not use a route is 403; a refused write records nothing.
//
// Who may do what is written here from the spec, independently of the service's own table, and
// must name exactly the operations /openapi.json lists: a new route fails this file until it is
// added below.

type Role = 'admin' | 'writer' | 'reader' | 'auditor';

const ROLES: readonly Role[] = ['admin', 'writer', 'reader', 'auditor'];
const ADMIN: readonly Role[] = ['admin'];
const WRITE: readonly Role[] = ['admin', 'writer'];
const READ: readonly Role[] = ['admin', 'writer', 'reader', 'auditor'];
const FEED: readonly Role[] = ['admin', 'writer', 'auditor'];
const AUDIT: readonly Role[] = ['admin', 'auditor'];

const L = '/v1/ledgers/{ledgerId}';

/** Every operation under /v1, as /openapi.json spells it, and the roles that may use it. */
const ALLOWED: Readonly<Record<string, readonly Role[]>> = {
  'POST /v1/ledgers': ADMIN,
  'POST /v1/keys': ADMIN,
  'POST /v1/keys/{id}/revoke': ADMIN,
  'GET /v1/metrics': ADMIN,
  'GET /v1/keys/current': READ,

  [`POST ${L}/assets`]: WRITE,
  [`POST ${L}/accounts`]: WRITE,
  [`POST ${L}/accounts/{accountId}/close`]: WRITE,
  [`POST ${L}/transactions`]: WRITE,
  [`POST ${L}/transactions/batch`]: WRITE,
  [`POST ${L}/transactions/{id}/reverse`]: WRITE,
  [`POST ${L}/transactions/{id}/correct`]: WRITE,
  [`POST ${L}/transactions/{id}/post`]: WRITE,
  [`POST ${L}/transactions/{id}/void`]: WRITE,
  [`POST ${L}/periods/close`]: WRITE,

  [`GET ${L}`]: READ,
  [`GET ${L}/accounts`]: READ,
  [`GET ${L}/accounts/{accountId}`]: READ,
  [`GET ${L}/accounts/{accountId}/balance`]: READ,
  [`GET ${L}/accounts/{accountId}/entries`]: READ,
  [`GET ${L}/accounts/{accountId}/balance-history`]: READ,
  [`GET ${L}/balances`]: READ,
  [`GET ${L}/reports/balance-sheet`]: READ,
  [`GET ${L}/reports/income-statement`]: READ,
  [`GET ${L}/transactions`]: READ,
  [`GET ${L}/transactions/{id}`]: READ,
  [`GET ${L}/exports/general-ledger.csv`]: READ,
  [`GET ${L}/exports/general-ledger.xlsx`]: READ,
  [`GET ${L}/exports/trial-balance.csv`]: READ,
  [`GET ${L}/exports/trial-balance.xlsx`]: READ,
  [`GET ${L}/exports/balance-sheet.csv`]: READ,
  [`GET ${L}/exports/balance-sheet.xlsx`]: READ,
  [`GET ${L}/exports/income-statement.csv`]: READ,
  [`GET ${L}/exports/income-statement.xlsx`]: READ,
  [`GET ${L}/exports/beancount`]: READ,

  [`GET ${L}/events`]: FEED,
  [`GET ${L}/events/stream`]: FEED,
  [`GET ${L}/digest`]: FEED,
  [`GET ${L}/proofs/inclusion`]: FEED,
  [`GET ${L}/proofs/consistency`]: FEED,

  [`GET ${L}/verify`]: AUDIT,
  [`GET ${L}/restatements`]: AUDIT,
  [`GET ${L}/reversals`]: AUDIT,
  [`GET ${L}/rejections`]: AUDIT,
};

/** Open routes: they answer without a key and are not part of the matrix. */
const PUBLIC_PATHS: readonly string[] = ['/', '/health', '/openapi.json', '/docs'];

const STREAM = `GET ${L}/events/stream`;
const CLOSING: readonly string[] = [`POST ${L}/accounts/{accountId}/close`, `POST ${L}/periods/close`];
const EFFECTIVE = '2026-03-01T10:00:00Z';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

interface Operation {
  /** "METHOD /path-template", the key of ALLOWED. */
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly hasBody: boolean;
}

/** What one matrix run works on: a ledger, another ledger, a transaction and a key to aim at. */
interface Fixture {
  readonly ledgerId: string;
  readonly otherLedgerId: string;
  readonly transactionId: string;
  readonly transactionRecordedAt: string;
  readonly victimKey: Json;
}

/** Valid query strings, so an allowed role gets 200 (a GET listed here must answer 200 when allowed). */
const QUERY: Readonly<Record<string, (f: Fixture) => Record<string, string>>> = {
  [`GET ${L}`]: () => ({}),
  [`GET ${L}/accounts`]: () => ({ prefix: 'a' }),
  [`GET ${L}/accounts/{accountId}`]: () => ({}),
  [`GET ${L}/accounts/{accountId}/balance`]: () => ({ effectiveAsOf: '2026-03-31' }),
  [`GET ${L}/accounts/{accountId}/entries`]: () => ({ effectiveFrom: '2026-03-01', effectiveTo: '2026-03-31' }),
  [`GET ${L}/accounts/{accountId}/balance-history`]: () => ({ effectiveFrom: '2026-03-01', effectiveTo: '2026-03-31', interval: 'week' }),
  [`GET ${L}/balances`]: () => ({}),
  [`GET ${L}/reports/balance-sheet`]: () => ({ effectiveAsOf: '2026-03-31' }),
  [`GET ${L}/reports/income-statement`]: () => ({ effectiveFrom: '2026-03-01', effectiveTo: '2026-03-31' }),
  [`GET ${L}/transactions`]: () => ({ accountId: 'alice' }),
  [`GET ${L}/transactions/{id}`]: () => ({}),
  [`GET ${L}/events`]: () => ({ after: '0', limit: '10' }),
  [`GET ${L}/events/stream`]: () => ({ after: '0' }),
  [`GET ${L}/digest`]: () => ({}),
  [`GET ${L}/proofs/inclusion`]: () => ({ position: '1' }),
  [`GET ${L}/proofs/consistency`]: () => ({ from: '1' }),
  [`GET ${L}/verify`]: () => ({}),
  [`GET ${L}/restatements`]: (f) => ({ recordedFrom: f.transactionRecordedAt }),
  [`GET ${L}/reversals`]: () => ({}),
  [`GET ${L}/rejections`]: () => ({}),
  'GET /v1/metrics': () => ({}),
};

/**
 * Valid bodies, so a write that slipped past the access check would record something; an
 * operation with a request body that is not listed gets `{}`.
 */
const BODY: Readonly<Record<string, (f: Fixture) => unknown>> = {
  'POST /v1/ledgers': () => ({ id: uniqueLedgerId('matrix'), name: 'Made by the access matrix' }),
  'POST /v1/keys': (f) => ({ name: 'made by the access matrix', role: 'reader', ledgerIds: [f.ledgerId] }),
  [`POST ${L}/assets`]: () => ({ code: 'PTS', scale: 0 }),
  [`POST ${L}/accounts`]: () => ({ id: 'opened-by-matrix', normalBalance: 'debit', currency: 'USD' }),
  [`POST ${L}/transactions`]: () => transfer(undefined, '2026-03-02T10:00:00Z', 'bank', 'merchant', '1.00'),
  [`POST ${L}/transactions/batch`]: () => ({ transactions: [transfer(undefined, '2026-03-03T10:00:00Z', 'bank', 'merchant', '2.00')] }),
  [`POST ${L}/transactions/{id}/reverse`]: () => ({ reason: 'access matrix' }),
  [`POST ${L}/transactions/{id}/correct`]: () => ({ reason: 'access matrix', replacement: transfer(undefined, EFFECTIVE, 'bank', 'merchant', '3.00') }),
  [`POST ${L}/transactions/{id}/post`]: () => ({}),
  [`POST ${L}/transactions/{id}/void`]: () => ({ reason: 'access matrix' }),
  [`POST ${L}/periods/close`]: () => ({ through: '2026-01-31' }),
};

function operationsOf(document: Json): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths as Record<string, Json>)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(method)) continue;
      operations.push({ name: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, hasBody: (operation as Json).requestBody !== undefined });
    }
  }
  return operations;
}

function allowedRoles(operation: Operation): readonly Role[] {
  const roles = ALLOWED[operation.name];
  if (roles === undefined) throw new Error(`${operation.name} is served but this test's table does not say who may use it`);
  return roles;
}

const isWrite = (operation: Operation) => operation.method !== 'GET' && operation.method !== 'HEAD';
const hasLedger = (operation: Operation) => operation.path.includes('{ledgerId}');

describeOnEachDatabase('access matrix', (api: TestApi) => {
  let cached: Operation[] | undefined;

  async function openapiDocument(): Promise<Json> {
    const answer = await api.call('GET', '/openapi.json', { key: null });
    expect(answer.status, answer.text).toBe(200);
    return answer.body;
  }

  /**
   * The operations of /openapi.json, the open routes left out, in its order but with the writes
   * that close something last, so the other writes an allowed role sends can still succeed.
   */
  async function operations(): Promise<Operation[]> {
    cached ??= operationsOf(await openapiDocument())
      .filter((operation) => !PUBLIC_PATHS.includes(operation.path))
      .sort((a, b) => Number(CLOSING.includes(a.name)) - Number(CLOSING.includes(b.name)));
    expect(cached.length).toBeGreaterThan(20);
    return cached;
  }

  async function createKey(role: Role, ledgerIds?: string[]): Promise<Json> {
    const created = await api.call('POST', '/v1/keys', { body: { name: `matrix ${role}`, role, ...(ledgerIds ? { ledgerIds } : {}) } });
    expect(created.status, created.text).toBe(201);
    return created.body;
  }

  async function fixture(): Promise<Fixture> {
    const ledgerId = await api.seedLedger();
    const otherLedgerId = await api.seedLedger();
    const recorded = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer(undefined, EFFECTIVE, 'bank', 'alice', '10.00') });
    expect(recorded.status, recorded.text).toBe(201);
    // Something in the other ledger too, so its routes have data behind them.
    expect((await api.call('POST', `/v1/ledgers/${otherLedgerId}/transactions`, { body: transfer(undefined, EFFECTIVE, 'bank', 'alice', '5.00') })).status).toBe(201);
    return {
      ledgerId, otherLedgerId, transactionId: recorded.body.id, transactionRecordedAt: recorded.body.recordedAt,
      victimKey: await createKey('reader', [ledgerId]),
    };
  }

  function pathOf(operation: Operation, f: Fixture): string {
    const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (name === 'ledgerId') return f.ledgerId;
      if (name === 'accountId') return 'alice';
      if (name === 'id' && operation.path.startsWith('/v1/keys/')) return f.victimKey.id as string;
      if (name === 'id' && operation.path.startsWith(`${L}/transactions/{id}`)) return f.transactionId;
      throw new Error(`${operation.name}: this test does not know what to put in {${name}}`);
    });
    const query = new URLSearchParams(QUERY[operation.name]?.(f) ?? {}).toString();
    return query ? `${path}?${query}` : path;
  }

  /**
   * Sends the operation with this key (null: none) and answers with what was sent; the stream's
   * body is cancelled once its head is read.
   */
  async function send(operation: Operation, f: Fixture, key: string | null): Promise<{ answer: Answer; sent: unknown }> {
    const path = pathOf(operation, f);
    if (operation.name !== STREAM) {
      const body = operation.hasBody ? (BODY[operation.name]?.(f) ?? {}) : undefined;
      return { answer: await api.call(operation.method, path, { key, body }), sent: body };
    }
    const response = await api.app.request(path, { method: 'GET', headers: key === null ? {} : { Authorization: `Bearer ${key}` } });
    if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
      await response.body?.cancel();
      return { answer: { status: response.status, headers: response.headers, body: {}, text: '' }, sent: undefined };
    }
    const text = await response.text();
    let body: Json = {};
    try {
      body = JSON.parse(text) as Json;
    } catch {
      // left empty: expectProblem will say what came back
    }
    return { answer: { status: response.status, headers: response.headers, body, text }, sent: undefined };
  }

  /** The heads of both ledgers. */
  async function heads(f: Fixture): Promise<number[]> {
    return [await api.head(f.ledgerId), await api.head(f.otherLedgerId)];
  }

  /**
   * Sends every operation with `key` and checks each answer with `check`; after a refused write
   * (401, 403 or 404), neither ledger's head has moved and nothing else the write aimed at changed.
   */
  async function sweep(f: Fixture, key: string | null, check: (operation: Operation, answer: Answer) => void): Promise<void> {
    let before = await heads(f);
    for (const operation of await operations()) {
      const { answer, sent } = await send(operation, f, key);
      expect(answer.status, `${operation.name}: ${answer.text}`).toBeLessThan(500);
      check(operation, answer);
      if (!isWrite(operation)) continue;
      const after = await heads(f);
      if ([401, 403, 404].includes(answer.status)) {
        expect(after, `${operation.name} was refused with ${answer.status} yet a ledger's head moved`).toEqual(before);
        if (operation.name === 'POST /v1/ledgers') {
          const ledger = await api.call('GET', `/v1/ledgers/${(sent as Json).id}`);
          expect(ledger.status, `${operation.name} was refused with ${answer.status} yet the ledger exists`).toBe(404);
        }
        if (operation.name === 'POST /v1/keys/{id}/revoke') {
          const victim = await api.call('GET', `/v1/ledgers/${f.ledgerId}`, { key: f.victimKey.key as string });
          expect(victim.status, `${operation.name} was refused with ${answer.status} yet the key was revoked`).toBe(200);
        }
      }
      before = after;
    }
  }

  describe('the table', () => {
    it('names every operation /openapi.json lists, and nothing it does not', async () => {
      const served = (await operations()).map((operation) => operation.name);
      const unknown = served.filter((name) => !(name in ALLOWED));
      expect(unknown, 'operations served that this test does not know: add them to ALLOWED').toEqual([]);
      const missing = Object.keys(ALLOWED).filter((name) => !served.includes(name));
      expect(missing, 'operations in ALLOWED that /openapi.json lacks').toEqual([]);
      expect(served.length).toBe(new Set(served).size);
    });

    it('lets /, /health, /openapi.json and /docs answer without a key', async () => {
      for (const path of PUBLIC_PATHS) {
        const answer = await api.call('GET', path, { key: null });
        expect(answer.status, `${path}: ${answer.text.slice(0, 200)}`).toBe(200);
      }
    });
  });

  describe('authentication', () => {
    it('answers 401 to every operation without a key', async () => {
      const f = await fixture();
      await sweep(f, null, (operation, answer) => {
        expect(answer.status, operation.name).toBe(401);
        expectProblem(answer, 401, 'UNAUTHORIZED');
      });
    });

    it('answers 401 to every operation with a revoked key', async () => {
      const f = await fixture();
      const writer = await createKey('writer', [f.ledgerId]);
      expect((await api.call('GET', `/v1/ledgers/${f.ledgerId}`, { key: writer.key })).status).toBe(200);
      expect((await api.call('POST', `/v1/keys/${writer.id}/revoke`)).status).toBe(200);
      await sweep(f, writer.key, (operation, answer) => {
        expect(answer.status, operation.name).toBe(401);
        expectProblem(answer, 401, 'UNAUTHORIZED');
      });
    });
  });

  describe('scope', () => {
    it.each(['writer', 'reader', 'auditor'] as const)(
      'answers a key of role %s scoped to another ledger 404 on every ledger route, and 403 on the routes it may not use elsewhere',
      async (role) => {
        const f = await fixture();
        const { key } = await createKey(role, [f.otherLedgerId]);
        expect((await api.call('GET', `/v1/ledgers/${f.otherLedgerId}`, { key })).status).toBe(200);
        await sweep(f, key, (operation, answer) => {
          if (hasLedger(operation)) {
            expect(answer.status, `${operation.name}: ${answer.text}`).toBe(404);
            expectProblem(answer, 404, 'NOT_FOUND');
            expect(answer.body.detail).toContain(f.ledgerId);
          } else if (!allowedRoles(operation).includes(role)) {
            expect(answer.status, `${operation.name}: ${answer.text}`).toBe(403);
            expectProblem(answer, 403, 'FORBIDDEN');
          } else {
            expect([401, 403, 404], `${operation.name}: ${answer.text}`).not.toContain(answer.status);
          }
        });
      },
    );
  });

  describe('roles', () => {
    it.each(ROLES)('answers a key of role %s 403 exactly on the routes its role may not use', async (role) => {
      const f = await fixture();
      const { key } = await createKey(role, role === 'admin' ? undefined : [f.ledgerId]);
      await sweep(f, key, (operation, answer) => {
        const detail = `${role} ${operation.name}: ${answer.status} ${answer.text.slice(0, 300)}`;
        if (!allowedRoles(operation).includes(role)) {
          expect(answer.status, detail).toBe(403);
          expectProblem(answer, 403, 'FORBIDDEN');
          return;
        }
        expect([401, 403, 404], detail).not.toContain(answer.status);
        if (operation.method === 'GET' && operation.name in QUERY) expect(answer.status, detail).toBe(200);
        if (operation.name === STREAM) expect(answer.headers.get('content-type'), detail).toMatch(/^text\/event-stream/);
        if (operation.name === `POST ${L}/transactions`) expect(answer.status, detail).toBe(201);
      });
    });
  });
});
