import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, stopAllServers, type Json, type Server } from '../support/server.ts';

// The log of the real Node entry (`npm start`): pino's JSON lines on stdout, one per request,
// with the request id the client sent (when it is safe) or one made up, which the client always
// gets back. No API key ever reaches the log, however it is sent, at any level.

const newKey = () => `lk_${randomBytes(24).toString('base64url')}`;

afterAll(() => {
  stopAllServers();
});

describe('the request log and X-Request-Id', () => {
  const adminKey = newKey();
  const ledgerId = `logs-${randomBytes(3).toString('hex')}`;
  let server: Server;

  beforeAll(async () => {
    server = await startServer({ DATA_DIR: 'memory://', LEDGER_BOOTSTRAP_ADMIN_KEY: adminKey, LEDGER_LOG_LEVEL: 'trace' });
  });

  /** A request with these headers; its status and the request id it got back. */
  async function send(path: string, headers: Record<string, string>, init: { method?: string; body?: unknown } = {}) {
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`, {
      method: init.method ?? 'GET',
      headers: { ...headers, ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    await response.arrayBuffer();
    return { status: response.status, requestId: response.headers.get('x-request-id') };
  }

  /** Ids the X-Request-Id test saw echoed or made up: their lines are looked for once the log is flushed. */
  const echoed: string[] = [];

  it('echoes a safe id and logs it; replaces one too long or with other characters; makes one up when absent', async () => {
    const ask = async (requestId?: string) => {
      const response = await fetch(`http://127.0.0.1:${server.port}/v1/ledgers/none`, {
        headers: { Authorization: `Bearer ${adminKey}`, ...(requestId === undefined ? {} : { 'X-Request-Id': requestId }) },
      });
      expect(response.status).toBe(404);
      return response.headers.get('x-request-id')!;
    };
    for (const safe of ['req-1', '0b9c6f1e-2d4a-4c1e-9a6b-6f3d2c1b0a99', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'abc+/=:@._-XYZ', 'x'.repeat(128)]) {
      expect(await ask(safe)).toBe(safe);
    }
    const madeUp = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const unsafe of ['x'.repeat(129), 'two words', '"quoted"', '<script>', 'a,b', 'semi;colon', '']) {
      const got = await ask(unsafe);
      expect(got, JSON.stringify(unsafe)).toMatch(madeUp);
    }
    const first = await ask();
    const second = await ask();
    expect(first).toMatch(madeUp);
    expect(second).not.toBe(first);
    echoed.push('abc+/=:@._-XYZ', first);
  });

  const logged = () => server.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Json);

  it('never writes a key, sent in any header, the query or a body, answered or refused', async () => {
    expect((await call(server, adminKey, 'POST', '/v1/ledgers', { id: ledgerId, name: 'Logs' })).status).toBe(201);
    const writer = (await call(server, adminKey, 'POST', '/v1/keys', { name: 'writer', role: 'writer', ledgerIds: [ledgerId] })).body;
    const revoked = (await call(server, adminKey, 'POST', '/v1/keys', { name: 'gone', role: 'reader', ledgerIds: [ledgerId] })).body;
    expect((await call(server, adminKey, 'POST', `/v1/keys/${revoked.id}/revoke`)).status).toBe(200);
    const unknown = newKey();
    const keys = [adminKey, writer.key as string, revoked.key as string, unknown];

    const sent = [
      await send(`/v1/ledgers/${ledgerId}`, { Authorization: `Bearer ${writer.key}` }),
      await send(`/v1/ledgers/${ledgerId}/accounts`, { Authorization: `Bearer ${writer.key}` }, { method: 'POST', body: { id: 'cash', normalBalance: 'debit', currency: 'USD', metadata: { note: unknown } } }),
      await send(`/v1/ledgers/${ledgerId}`, { Authorization: `Bearer ${revoked.key}` }),
      await send(`/v1/ledgers/${ledgerId}`, { Authorization: `Bearer ${unknown}` }),
      await send(`/v1/ledgers/${ledgerId}`, { Authorization: `Basic ${Buffer.from(`x:${unknown}`).toString('base64')}` }),
      await send(`/v1/ledgers/${ledgerId}`, { Authorization: `Bearer ${unknown} and more` }),
      await send(`/v1/ledgers/${ledgerId}?key=${unknown}&api_key=${adminKey}`, { 'X-Api-Key': adminKey }),
      await send(`/v1/ledgers/${ledgerId}/transactions`, { Authorization: `Bearer ${writer.key}` }, { method: 'POST', body: { id: 'bad', postings: unknown } }),
      await send('/metrics', { Authorization: `Bearer ${adminKey}` }),
      await send('/metrics', { Authorization: `Bearer ${writer.key}` }),
      await send('/ready', { Authorization: `Bearer ${adminKey}` }),
    ];
    expect(sent.map((s) => s.status)).toEqual([200, 201, 401, 401, 401, 401, 401, 400, 200, 403, 200]);
    await server.stop(); // flushes the log

    // Each request has its line, found by the id it got back: the log is there to be searched.
    const lines = logged();
    for (const { requestId, status } of sent) {
      expect(lines.filter((line) => line.requestId === requestId), `the line of ${requestId}`).toEqual([expect.objectContaining({ level: 30, status })]);
    }
    const ids = lines.map((line) => line.requestId);
    for (const id of echoed) expect(ids).toContain(id);
    expect(ids).not.toContain('<script>');
    const everything = `${server.lines.join('\n')}\n${server.stderr()}`;
    for (const key of keys) {
      expect(everything.includes(key), 'a key in the log').toBe(false);
      expect(everything.includes(key.slice(3)), 'the secret part of a key in the log').toBe(false);
    }
  });
});
