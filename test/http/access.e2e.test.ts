import { describe, expect, it } from 'vitest';
import { uniqueLedgerId } from '../support/databases.ts';
import { describeOnEachDatabase, expectProblem, transfer, type Json } from '../support/http.ts';

// Spec section 8: bearer keys with roles, scoped to ledgers; a ledger outside a key's scope is
// answered as if it did not exist. /health, /openapi.json and /docs need no key.

type Role = 'admin' | 'writer' | 'reader' | 'auditor';

const DEPOSIT = transfer(undefined, '2026-03-01T10:00:00Z', 'bank', 'alice', '10.00');


describeOnEachDatabase('access', (api) => {

  async function createKey(role: Role, ledgerIds?: string[]): Promise<Json> {
    const created = await api.call('POST', '/v1/keys', { body: { name: `${role} key`, role, ...(ledgerIds ? { ledgerIds } : {}) } });
    expect(created.status, created.text).toBe(201);
    return created.body;
  }

  /** The reads and the writes each role is checked against, on one ledger. */
  const reads = (ledgerId: string): [string, string][] => [
    ['GET', `/v1/ledgers/${ledgerId}`],
    ['GET', `/v1/ledgers/${ledgerId}/accounts`],
    ['GET', `/v1/ledgers/${ledgerId}/accounts/alice`],
    ['GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance`],
    ['GET', `/v1/ledgers/${ledgerId}/transactions`],
  ];
  const writes = (ledgerId: string): [string, string, unknown][] => [
    ['POST', `/v1/ledgers/${ledgerId}/transactions`, DEPOSIT],
    ['POST', `/v1/ledgers/${ledgerId}/accounts`, { id: 'new-account', normalBalance: 'debit', currency: 'USD' }],
    ['POST', `/v1/ledgers/${ledgerId}/accounts/merchant/close`, undefined],
    ['POST', `/v1/ledgers/${ledgerId}/assets`, { code: 'PTS', scale: 0 }],
  ];

  describe('authentication', () => {
    it('answers 401 without a key, with a garbage key, or with a malformed Authorization header', async () => {
      const ledgerId = await api.seedLedger();
      for (const request of [
        { key: null },
        { key: 'lk_not-a-key-this-service-gave' },
        { key: null, headers: { Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` } },
        { key: null, headers: { Authorization: 'Bearer' } },
        { key: `${api.adminKey}x` },
        { key: 'k'.repeat(600) },
      ]) {
        for (const [method, path] of reads(ledgerId)) expectProblem(await api.call(method, path, request), 401, 'UNAUTHORIZED');
        const before = await api.head(ledgerId);
        for (const [method, path, body] of writes(ledgerId)) expectProblem(await api.call(method, path, { ...request, body }), 401, 'UNAUTHORIZED');
        expectProblem(await api.call('POST', '/v1/ledgers', { ...request, body: { id: uniqueLedgerId(), name: 'x' } }), 401, 'UNAUTHORIZED');
        expect(await api.head(ledgerId)).toBe(before);
      }
    });

    it('answers 401 for a missing ledger without a key, so no ledger id can be probed', async () => {
      expectProblem(await api.call('GET', `/v1/ledgers/${uniqueLedgerId()}`, { key: null }), 401, 'UNAUTHORIZED');
    });

    it('answers 401 to a revoked key', async () => {
      const ledgerId = await api.seedLedger();
      const writer = await createKey('writer', [ledgerId]);
      expect((await api.call('GET', `/v1/ledgers/${ledgerId}`, { key: writer.key })).status).toBe(200);
      const revoked = await api.call('POST', `/v1/keys/${writer.id}/revoke`);
      expect(revoked.status).toBe(200);
      expect(revoked.body).toMatchObject({ id: writer.id, revoked: true });
      expect(revoked.body).not.toHaveProperty('key');
      expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}`, { key: writer.key }), 401, 'UNAUTHORIZED');
      const before = await api.head(ledgerId);
      expectProblem(await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { key: writer.key, body: DEPOSIT }), 401, 'UNAUTHORIZED');
      expect(await api.head(ledgerId)).toBe(before);
      // Revoking again changes nothing; an unknown key id is 404.
      expect((await api.call('POST', `/v1/keys/${writer.id}/revoke`)).status).toBe(200);
      expectProblem(await api.call('POST', '/v1/keys/key_nope/revoke'), 404, 'NOT_FOUND');
    });
  });

  describe('keys', () => {
    it('answers POST /v1/keys with {id, key, name, role, ledgerIds}, the only time the key is shown', async () => {
      const ledgerId = await api.seedLedger();
      const created = await api.call('POST', '/v1/keys', { body: { name: 'reconciler', role: 'reader', ledgerIds: [ledgerId] } });
      expect(created.status).toBe(201);
      expect(created.headers.get('content-type')).toMatch(/^application\/json/);
      expect(Object.keys(created.body).sort()).toEqual(['id', 'key', 'ledgerIds', 'name', 'role']);
      expect(created.body).toMatchObject({ name: 'reconciler', role: 'reader', ledgerIds: [ledgerId] });
      expect(created.body.key).toEqual(expect.any(String));
      expect(created.body.key.length).toBeGreaterThanOrEqual(32);
      expect(created.body.key).not.toBe(created.body.id);
      expect(created.body.key).not.toContain(created.body.id);
      expect((await api.call('GET', `/v1/ledgers/${ledgerId}`, { key: created.body.key })).status).toBe(200);

      const admin = await api.call('POST', '/v1/keys', { body: { name: 'ops', role: 'admin' } });
      expect(admin.status).toBe(201);
      expect(admin.body).toMatchObject({ role: 'admin', ledgerIds: null });
      const another = await api.call('POST', '/v1/keys', { body: { name: 'reconciler', role: 'reader', ledgerIds: [ledgerId] } });
      expect(another.body.key).not.toBe(created.body.key);
      expect(another.body.id).not.toBe(created.body.id);
    });

    it('refuses keys that are not admin keys without ledgers, unknown roles and unknown fields', async () => {
      for (const body of [
        { name: 'w', role: 'writer' },
        { name: 'w', role: 'writer', ledgerIds: [] },
        { name: 'w', role: 'owner', ledgerIds: ['a'] },
        { name: 'w', role: 'reader', ledgerIds: ['Not A Ledger'] },
        { name: '', role: 'admin' },
        { name: 'w', role: 'admin', key: 'lk_chosen-by-me' },
      ]) expectProblem(await api.call('POST', '/v1/keys', { body }), 400, 'VALIDATION_FAILED');
    });

    it('explains an auditor key without ledgers or a name: which field, and what to send', async () => {
      const noLedgers = await api.call('POST', '/v1/keys', { body: { name: 'audit', role: 'auditor' } });
      expectProblem(noLedgers, 400, 'VALIDATION_FAILED');
      expect(noLedgers.body.detail).toBe('An auditor key may use only the ledgers it is given: send their ids in ledgerIds, such as '
        + '{"name":"auditor for acme","role":"auditor","ledgerIds":["acme"]}.');
      expect(noLedgers.body.errors).toEqual([{ path: 'ledgerIds', message: 'required for an auditor key: the ids of the ledgers it may use, such as ["acme"]' }]);
      const noName = await api.call('POST', '/v1/keys', { body: { role: 'auditor', ledgerIds: ['acme'] } });
      expectProblem(noName, 400, 'VALIDATION_FAILED');
      expect(noName.body.errors).toEqual([{ path: 'name', message: 'required: a name for the key, such as "auditor for acme"' }]);
    });

    it('answers a key id holding U+0000 with 400, never 5xx', async () => {
      expectProblem(await api.call('POST', '/v1/keys/key_a%00b/revoke'), 400, 'VALIDATION_FAILED');
    });

    it('lets only admin keys create or revoke keys', async () => {
      const ledgerId = await api.seedLedger();
      const victim = await createKey('reader', [ledgerId]);
      for (const role of ['writer', 'reader', 'auditor'] as const) {
        const { key } = await createKey(role, [ledgerId]);
        expectProblem(await api.call('POST', '/v1/keys', { key, body: { name: 'escalate', role: 'admin' } }), 403, 'FORBIDDEN');
        expectProblem(await api.call('POST', `/v1/keys/${victim.id}/revoke`, { key }), 403, 'FORBIDDEN');
      }
      expect((await api.call('GET', `/v1/ledgers/${ledgerId}`, { key: victim.key })).status).toBe(200);
    });
  });

  describe('roles and scopes', () => {
    it('answers a key used on a ledger outside its scope 404, exactly as for a missing ledger', async () => {
      const ledgerA = await api.seedLedger();
      const ledgerB = await api.seedLedger();
      const missing = uniqueLedgerId('missing');
      for (const role of ['writer', 'reader', 'auditor'] as const) {
        const { key } = await createKey(role, [ledgerA]);
        const before = await api.head(ledgerB);
        for (const [method, path] of reads(ledgerB)) {
          const outside = await api.call(method, path, { key });
          expectProblem(outside, 404, 'NOT_FOUND');
          const absent = await api.call(method, path.replace(ledgerB, missing), { key });
          expectProblem(absent, 404, 'NOT_FOUND');
          expect(outside.body).toEqual({ ...absent.body, detail: absent.body.detail.replace(missing, ledgerB) });
        }
        for (const [method, path, body] of writes(ledgerB)) expectProblem(await api.call(method, path, { key, body }), 404, 'NOT_FOUND');
        expect(await api.head(ledgerB)).toBe(before);
      }
    });

    it('lets a writer write and read its ledgers, but not create ledgers', async () => {
      const ledgerId = await api.seedLedger();
      const { key } = await createKey('writer', [ledgerId]);
      const recorded = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { key, body: DEPOSIT });
      expect(recorded.status).toBe(201);
      for (const [method, path] of reads(ledgerId)) expect((await api.call(method, path, { key })).status).toBe(200);
      const newLedger = uniqueLedgerId();
      expectProblem(await api.call('POST', '/v1/ledgers', { key, body: { id: newLedger, name: 'Mine' } }), 403, 'FORBIDDEN');
      expectProblem(await api.call('GET', `/v1/ledgers/${newLedger}`), 404, 'NOT_FOUND');
    });

    it('lets a reader read but not write', async () => {
      const ledgerId = await api.seedLedger();
      const { key } = await createKey('reader', [ledgerId]);
      for (const [method, path] of reads(ledgerId)) expect((await api.call(method, path, { key })).status).toBe(200);
      const before = await api.head(ledgerId);
      for (const [method, path, body] of writes(ledgerId)) expectProblem(await api.call(method, path, { key, body }), 403, 'FORBIDDEN');
      expectProblem(await api.call('POST', '/v1/ledgers', { key, body: { id: uniqueLedgerId(), name: 'x' } }), 403, 'FORBIDDEN');
      expect(await api.head(ledgerId)).toBe(before);
    });

    it('lets an auditor read a balance but not write', async () => {
      const ledgerId = await api.seedLedger();
      await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: DEPOSIT });
      const { key } = await createKey('auditor', [ledgerId]);
      const balance = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance`, { key });
      expect(balance.status).toBe(200);
      expect(balance.body.ledgerBalance).toBe('10.00');
      const before = await api.head(ledgerId);
      for (const [method, path, body] of writes(ledgerId)) expectProblem(await api.call(method, path, { key, body }), 403, 'FORBIDDEN');
      expect(await api.head(ledgerId)).toBe(before);
    });

    it('lets a key scoped to two ledgers use both', async () => {
      const ledgerA = await api.seedLedger();
      const ledgerB = await api.seedLedger();
      const { key } = await createKey('writer', [ledgerA, ledgerB]);
      for (const ledgerId of [ledgerA, ledgerB]) {
        expect((await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { key, body: DEPOSIT })).status).toBe(201);
      }
    });

    it('lets an admin key use every ledger and create ledgers', async () => {
      const { key } = await createKey('admin');
      const ledgerId = uniqueLedgerId();
      const created = await api.call('POST', '/v1/ledgers', { key, body: { id: ledgerId, name: 'Admin-made' } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ id: ledgerId, name: 'Admin-made', timezone: 'UTC', head: 1, closedThrough: null, position: 1 });
      const seeded = await api.seedLedger();
      expect((await api.call('GET', `/v1/ledgers/${seeded}`, { key })).status).toBe(200);
    });
  });

  describe('open routes and request ids', () => {
    it('answers GET /health without a key', async () => {
      const health = await api.call('GET', '/health', { key: null });
      expect(health.status).toBe(200);
      expect(health.body).toEqual({ ok: true });
    });

    it('serves /openapi.json without a key, with the balance path among its paths', async () => {
      const spec = await api.call('GET', '/openapi.json', { key: null });
      expect(spec.status).toBe(200);
      expect(spec.headers.get('content-type')).toMatch(/^application\/json/);
      const document = JSON.parse(spec.text) as Json;
      expect(document.openapi).toMatch(/^3\./);
      expect(Object.keys(document.paths)).toEqual(expect.arrayContaining([
        '/v1/ledgers', '/v1/ledgers/{ledgerId}', '/v1/ledgers/{ledgerId}/accounts/{accountId}/balance',
        '/v1/ledgers/{ledgerId}/transactions', '/v1/keys',
      ]));
      expect(document.paths['/v1/ledgers/{ledgerId}/accounts/{accountId}/balance'].get).toBeDefined();
    });

    it('serves /docs without a key', async () => {
      const docs = await api.call('GET', '/docs', { key: null });
      expect(docs.status).toBe(200);
      expect(docs.headers.get('content-type')).toMatch(/^text\/html/);
      expect(docs.text).toContain('/openapi.json');
    });

    it('echoes X-Request-Id when given and generates one when absent, on successes and problems alike', async () => {
      const ledgerId = await api.seedLedger();
      const given = await api.call('GET', `/v1/ledgers/${ledgerId}`, { headers: { 'X-Request-Id': 'req-abc.123' } });
      expect(given.headers.get('x-request-id')).toBe('req-abc.123');
      const refused = await api.call('GET', `/v1/ledgers/${ledgerId}`, { key: null, headers: { 'X-Request-Id': 'req-refused' } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('x-request-id')).toBe('req-refused');
      const written = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: DEPOSIT, headers: { 'X-Request-Id': 'req-write' } });
      expect(written.status).toBe(201);
      expect(written.headers.get('x-request-id')).toBe('req-write');

      const generated = new Set<string>();
      for (const path of [`/v1/ledgers/${ledgerId}`, '/health', '/v1/nowhere']) {
        const answer = await api.call('GET', path);
        const id = answer.headers.get('x-request-id');
        expect(id, path).toMatch(/^[\x21-\x7e]{8,128}$/);
        generated.add(id!);
      }
      expect(generated.size).toBe(3);
      // One that is not a visible ASCII token is replaced, not echoed.
      const unsafe = await api.call('GET', '/health', { headers: { 'X-Request-Id': 'x'.repeat(129) } });
      expect(unsafe.headers.get('x-request-id')).not.toBe('x'.repeat(129));
      expect(unsafe.headers.get('x-request-id')).toMatch(/^[\x21-\x7e]{8,128}$/);
    });

    it('answers an unknown route 404 problem+json', async () => {
      expectProblem(await api.call('GET', '/v1/nowhere'), 404, 'NOT_FOUND');
    });
  });
});
