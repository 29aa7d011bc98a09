import { afterAll, beforeAll, describe, expect } from 'vitest';
import type { Database } from '../../src/adapters/db/database.ts';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { createTreeStore } from '../../src/adapters/db/tree-store.ts';
import { createApp } from '../../src/adapters/http/app.ts';
import type { LogLine } from '../../src/adapters/http/env.ts';
import { DEFAULT_LIMITS, type Limits } from '../../src/adapters/http/limits.ts';
import { createApiKey } from '../../src/app/api-keys.ts';
import { GroupCommitter } from '../../src/app/group-commit.ts';
import type { LedgerStore } from '../../src/app/ports.ts';
import type { NoteSigner } from '../../src/app/signed-note.ts';
import { DATABASES, uniqueLedgerId } from './databases.ts';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface TestApi {
  readonly database: Database;
  readonly app: ReturnType<typeof createApp>;
  readonly store: LedgerStore;
  readonly adminKey: string;
  /** Sends a request in-process (`app.request`) and parses a JSON answer. */
  call(method: string, path: string, options?: { body?: unknown; rawBody?: string; key?: string | null; headers?: Record<string, string> }): Promise<Answer>;
  /** The ledger's head position. */
  head(ledgerId: string): Promise<number>;
  /** Creates a ledger with a USD debit-normal `bank` and credit-normal `alice` and `merchant`. */
  seedLedger(options?: { ledgerId?: string; timezone?: string; accounts?: readonly Json[] }): Promise<string>;
}

/**
 * The in-process app over `database`, with an admin key. The request rate is not limited unless
 * `limits` says so: suites send far more requests a second than any client should.
 */
export interface TestApiOptions {
  readonly limits?: Partial<Limits>;
  /** Receives each request's log line. */
  readonly log?: (line: LogLine) => void;
  /** The store's balance checkpoint spacing (sql/009); small values make reads build many. */
  readonly checkpointEvery?: number;
  /** Signs the digest's checkpoints (spec section 12). */
  readonly signer?: NoteSigner;
  /** Who builds the balance checkpoints (the store's option): reads by default. */
  readonly checkpointsBuiltBy?: 'reads' | 'projector';
  /** Appends in one round trip when the store can (its default); false: always the slow way. */
  readonly oneTripAppends?: boolean;
}

export async function testApi(database: Database, options: TestApiOptions = {}): Promise<TestApi> {
  const store = createLedgerStore(database.db, { checkpointEvery: options.checkpointEvery, checkpointsBuiltBy: options.checkpointsBuiltBy, oneTripAppends: options.oneTripAppends,
    copyAppends: database.kind === 'postgres', copyExports: database.kind === 'postgres', decideUnderLock: database.kind === 'pglite' });
  const limits = { ...DEFAULT_LIMITS, ratePerSecond: 0, ...options.limits };
  const app = createApp({ store, committer: new GroupCommitter(store, { overlapCommits: database.kind === 'postgres' }), limits, tree: createTreeStore(database.db),
    ...(options.signer ? { signer: options.signer } : {}), ...(options.log ? { logger: { info: options.log, warn: options.log, error: (line: LogLine) => console.error(JSON.stringify(line)) } } : {}) });
  const adminKey = (await createApiKey(store, { name: 'test admin', role: 'admin', ledgerIds: null })).key;
  const api: TestApi = {
    database,
    app,
    store,
    adminKey,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      const key = options.key === undefined ? adminKey : options.key;
      if (key !== null) headers.Authorization = `Bearer ${key}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers['Content-Type'] ??= 'application/json';
      return answerOf(await app.request(path, { method, headers, body }));
    },
    async head(ledgerId) {
      const ledger = await api.call('GET', `/v1/ledgers/${ledgerId}`);
      expect(ledger.status, ledger.text).toBe(200);
      return ledger.body.head as number;
    },
    async seedLedger(options = {}) {
      const ledgerId = options.ledgerId ?? uniqueLedgerId();
      const created = await api.call('POST', '/v1/ledgers', { body: { id: ledgerId, name: 'Test ledger', ...(options.timezone ? { timezone: options.timezone } : {}) } });
      if (created.status !== 201) throw new Error(`seed ledger: ${created.status} ${created.text}`);
      const accounts = options.accounts ?? [
        { id: 'bank', normalBalance: 'debit', currency: 'USD' },
        { id: 'alice', normalBalance: 'credit', currency: 'USD' },
        { id: 'merchant', normalBalance: 'credit', currency: 'USD' },
      ];
      for (const account of accounts) {
        const opened = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body: account });
        if (opened.status !== 201) throw new Error(`seed account: ${opened.status} ${opened.text}`);
      }
      return ledgerId;
    },
  };
  return api;
}

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  /** The JSON answer, or {} when there is none. */
  readonly body: Json;
  readonly text: string;
}

/** A response as the tests read it: status, headers, the parsed JSON body and its text. */
export async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: Json;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = {};
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** An RFC 9457 answer with this status and code. */
export function expectProblem(answer: Answer, status: number, code: string): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
}

/** A two-posting transaction body in USD: `amount` from `credit` to `debit`. */
export function transfer(id: string | undefined, effectiveAt: string, debit: string, credit: string, amount: string): Json {
  return {
    ...(id === undefined ? {} : { id }),
    effectiveAt,
    postings: [
      { accountId: debit, direction: 'debit', amount },
      { accountId: credit, direction: 'credit', amount },
    ],
  };
}

/**
 * Runs a suite once per database (PGlite always, PostgreSQL when DATABASE_URL is set) against
 * the in-process app; `api` is ready inside the tests and closed after them.
 */
export function describeOnEachDatabase(title: string, suite: (api: TestApi) => void, options: TestApiOptions = {}): void {
  describe.each(DATABASES)(`${title} on $name`, ({ open }) => {
    let current: TestApi | undefined;
    const ready = (): TestApi => {
      if (!current) throw new Error('the test API is used before beforeAll ran');
      return current;
    };
    beforeAll(async () => {
      current = await testApi(await open(), options);
    });
    afterAll(() => current?.database.close());
    suite({
      get database() { return ready().database; },
      get app() { return ready().app; },
      get store() { return ready().store; },
      get adminKey() { return ready().adminKey; },
      call: (...args) => ready().call(...args),
      head: (ledgerId) => ready().head(ledgerId),
      seedLedger: (options) => ready().seedLedger(options),
    });
  });
}
