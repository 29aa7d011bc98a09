import type { Database } from '../../src/adapters/db/database.ts';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { createApp } from '../../src/adapters/http/app.ts';
import { createApiKey } from '../../src/app/api-keys.ts';
import { GroupCommitter } from '../../src/app/group-commit.ts';
import { uniqueLedgerId } from './databases.ts';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface TestApi {
  readonly app: ReturnType<typeof createApp>;
  readonly adminKey: string;
  /** Sends a request in-process (`app.request`) and parses a JSON answer. */
  call(method: string, path: string, options?: { body?: unknown; rawBody?: string; key?: string | null; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: Json; text: string }>;
  /** Creates a ledger with a USD debit-normal `bank` and credit-normal `alice` and `merchant`. */
  seedLedger(options?: { ledgerId?: string; timezone?: string; accounts?: readonly Json[] }): Promise<string>;
}

export async function testApi(database: Database): Promise<TestApi> {
  const store = createLedgerStore(database.db);
  const app = createApp({ store, committer: new GroupCommitter(store) });
  const adminKey = (await createApiKey(store, { name: 'test admin', role: 'admin', ledgerIds: null })).key;
  const api: TestApi = {
    app,
    adminKey,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...(options.headers ?? {}) };
      const key = options.key === undefined ? adminKey : options.key;
      if (key !== null) headers.Authorization = `Bearer ${key}`;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers['Content-Type'] ??= 'application/json';
      const response = await app.request(path, { method, headers, body });
      const text = await response.text();
      let parsed: Json;
      try {
        parsed = text ? JSON.parse(text) : {};
      } catch {
        parsed = {};
      }
      return { status: response.status, headers: response.headers, body: parsed, text };
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
