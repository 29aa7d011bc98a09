import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, stopAllServers, type Server } from '../support/server.ts';

// On Node the service reads request headers from Node's own request (node-request.ts), not from
// a web Headers, and answers the hot routes with their headers given at once (json-answer.ts).
// What a client sees must be what the web Headers gave: a repeated header is its values joined
// by ", " (so two X-Request-Ids are no safe id, two bearers no key), and an answer carries one
// X-Request-Id and one Content-Type. fetch cannot repeat a header, so these go over a raw socket.

const newKey = () => `lk_${randomBytes(24).toString('base64url')}`;

afterAll(() => {
  stopAllServers();
});

/** One HTTP/1.1 request with these header lines, as written; the answer's status and header lines. */
function rawRequest(port: number, path: string, headerLines: readonly string[]): Promise<{ status: number; headers: string[] }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headerLines.map((line) => `${line}\r\n`).join('')}\r\n`);
    });
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const head = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
      resolve({ status: Number(head[0]!.slice(9, 12)), headers: head.slice(1).map((line) => line.toLowerCase()) });
    });
  });
}

const valuesOf = (headers: readonly string[], name: string) => headers.filter((line) => line.startsWith(`${name}:`)).map((line) => line.slice(name.length + 1).trim());

describe('request headers read from Node, answers with their headers at once', () => {
  const adminKey = newKey();
  const ledgerId = `hdr-${randomBytes(3).toString('hex')}`;
  let server: Server;

  beforeAll(async () => {
    server = await startServer({ DATA_DIR: 'memory://', LEDGER_BOOTSTRAP_ADMIN_KEY: adminKey });
    expect((await call(server, adminKey, 'POST', '/v1/ledgers', { id: ledgerId, name: 'Headers' })).status).toBe(201);
    for (const id of ['cash', 'bank']) expect((await call(server, adminKey, 'POST', `/v1/ledgers/${ledgerId}/accounts`, { id, normalBalance: 'debit', currency: 'USD' })).status).toBe(201);
  });

  it('answers a balance with one X-Request-Id (the one sent) and one Content-Type', async () => {
    const answer = await rawRequest(server.port, `/v1/ledgers/${ledgerId}/accounts/cash/balance?effectiveAsOf=2026-01-01`, [`Authorization: Bearer ${adminKey}`, 'X-Request-Id: balance-1']);
    expect(answer.status).toBe(200);
    expect(valuesOf(answer.headers, 'x-request-id')).toEqual(['balance-1']);
    expect(valuesOf(answer.headers, 'content-type')).toEqual(['application/json']);
  });

  it('takes two X-Request-Ids for one that is not safe, and makes one up', async () => {
    const answer = await rawRequest(server.port, `/v1/ledgers/${ledgerId}`, [`Authorization: Bearer ${adminKey}`, 'X-Request-Id: first', 'X-Request-Id: second']);
    expect(answer.status).toBe(200);
    expect(valuesOf(answer.headers, 'x-request-id')).toEqual([expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)]);
  });

  it('checks a write body\'s Content-Type as @hono/zod-openapi does: another JSON type 415 (answered 400), a +json type taken', async () => {
    const post = async (contentType: string, id: string) => {
      const response = await fetch(`http://127.0.0.1:${server.port}/v1/ledgers/${ledgerId}/transactions`, {
        method: 'POST', headers: { Authorization: `Bearer ${adminKey}`, 'Content-Type': contentType },
        body: JSON.stringify({ id, postings: [{ accountId: 'cash', direction: 'debit', amount: '1.00' }, { accountId: 'bank', direction: 'credit', amount: '1.00' }] }),
      });
      return { status: response.status, body: (await response.json()) as { detail?: string; id?: string } };
    };
    const refused = await post('text/json', 'tx-text-json');
    expect(refused).toEqual({ status: 400, body: expect.objectContaining({ code: 'VALIDATION_FAILED', detail: 'Unsupported Media Type' }) });
    expect((await call(server, adminKey, 'GET', `/v1/ledgers/${ledgerId}/transactions/tx-text-json`)).status).toBe(404);
    expect(await post('application/vnd.api+json; charset=utf-8', 'tx-api-json')).toEqual({ status: 201, body: expect.objectContaining({ id: 'tx-api-json' }) });
  });

  it('refuses two Authorization headers, even both with the right key', async () => {
    const answer = await rawRequest(server.port, `/v1/ledgers/${ledgerId}`, [`Authorization: Bearer ${adminKey}`, `Authorization: Bearer ${adminKey}`]);
    expect(answer.status).toBe(401);
    expect(valuesOf(answer.headers, 'content-type')).toEqual(['application/problem+json']);
  });
});
