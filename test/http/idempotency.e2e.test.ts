import { describe, expect, it } from 'vitest';
import { describeOnEachDatabase, expectProblem, testApi, transfer, type Answer, type Json } from '../support/http.ts';

// Spec section 5, Idempotency: a transaction's id is its key, other writes take `Idempotency-Key`;
// a retry answers the original result (200, `Idempotent-Replayed: true`) and records nothing;
// the same key with a different body is 409 IDEMPOTENCY_CONFLICT naming the differing fields.


const DEPOSIT = transfer('dep-1', '2026-03-01T10:00:00Z', 'bank', 'alice', '100.00');


const errorPaths = (answer: Answer) => ((answer.body.errors ?? []) as Json[]).map((e) => e.path).sort();

function expectReplay(answer: Answer, original: Answer) {
  expect(answer.status, answer.text).toBe(200);
  expect(answer.headers.get('idempotent-replayed')).toBe('true');
  expect(answer.body).toEqual(original.body);
}

describeOnEachDatabase('idempotency', (api) => {

  describe('transactions, keyed by their id', () => {
    it('records one event for 20 concurrent identical requests, and all get the same answer', async () => {
      const ledgerId = await api.seedLedger();
      const before = await api.head(ledgerId);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: DEPOSIT })),
      );
      const created = answers.filter((a) => a.status === 201);
      const replayed = answers.filter((a) => a.status === 200);
      expect(created).toHaveLength(1);
      expect(replayed).toHaveLength(19);
      expect(created[0]!.headers.get('idempotent-replayed')).toBeNull();
      for (const answer of replayed) expectReplay(answer, created[0]!);
      expect(created[0]!.body).toMatchObject({ id: 'dep-1', position: before + 1, effectiveAt: '2026-03-01T10:00:00.000000Z' });
      expect(await api.head(ledgerId)).toBe(before + 1);

      const listed = await api.call('GET', `/v1/ledgers/${ledgerId}/transactions`);
      expect(listed.body.items.map((t: Json) => t.id)).toEqual(['dep-1']);
      const balance = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance`);
      expect(balance.body.ledgerBalance).toBe('100.00');

      // A later retry still answers the same, and still records nothing.
      expectReplay(await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: DEPOSIT }), created[0]!);
      expect(await api.head(ledgerId)).toBe(before + 1);
    });

    it('records one event when two service processes on one database receive the same request at once', async () => {
      const ledgerId = await api.seedLedger();
      const before = await api.head(ledgerId);
      // A second app with its own group committer: another API process on the same database.
      const other = await testApi(api.database);
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? other : api).call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: DEPOSIT })));
      const created = answers.filter((a) => a.status === 201);
      expect(created).toHaveLength(1);
      for (const answer of answers.filter((a) => a !== created[0])) expectReplay(answer, created[0]!);
      expect(await api.head(ledgerId)).toBe(before + 1);
    });

    it('replays a retry whose JSON differs only in key order and white space', async () => {
      const ledgerId = await api.seedLedger();
      const original = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: DEPOSIT });
      expect(original.status).toBe(201);
      const reordered = `{ "postings": [ {"amount": "100.00", "direction": "debit", "accountId": "bank"},
        {"direction": "credit", "accountId": "alice", "amount": "100.00"} ],
        "effectiveAt": "2026-03-01T10:00:00Z", "id": "dep-1" }`;
      expectReplay(await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { rawBody: reordered }), original);
      expect(await api.head(ledgerId)).toBe(original.body.position);
    });

    it('answers the same id with a different body 409 IDEMPOTENCY_CONFLICT naming the differing fields', async () => {
      const ledgerId = await api.seedLedger();
      const original = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: DEPOSIT });
      expect(original.status).toBe(201);
      const changed = {
        ...DEPOSIT,
        description: 'a second thought',
        postings: [{ ...DEPOSIT.postings[0], amount: '90.00' }, { ...DEPOSIT.postings[1], amount: '90.00' }],
      };
      const conflict = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: changed });
      expectProblem(conflict, 409, 'IDEMPOTENCY_CONFLICT');
      expect(errorPaths(conflict)).toEqual(['description', 'postings.0.amount', 'postings.1.amount']);
      expect(conflict.body.detail).toContain('dep-1');
      expect(await api.head(ledgerId)).toBe(original.body.position);

      const redated = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: { ...DEPOSIT, effectiveAt: '2026-03-02T10:00:00Z' } });
      expectProblem(redated, 409, 'IDEMPOTENCY_CONFLICT');
      expect(errorPaths(redated)).toEqual(['effectiveAt']);
      expect(await api.head(ledgerId)).toBe(original.body.position);
    });

    it('records one of 10 concurrent requests with the same id and different bodies, and refuses the others', async () => {
      const ledgerId = await api.seedLedger();
      const before = await api.head(ledgerId);
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) =>
        api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: { ...DEPOSIT, description: `attempt ${i}` } })));
      expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
      const conflicts = answers.filter((a) => a.status === 409);
      expect(conflicts).toHaveLength(9);
      for (const conflict of conflicts) {
        expectProblem(conflict, 409, 'IDEMPOTENCY_CONFLICT');
        expect(errorPaths(conflict)).toEqual(['description']);
      }
      expect(await api.head(ledgerId)).toBe(before + 1);
    });

    it('does not take the id of a refused write: the corrected retry records', async () => {
      const ledgerId = await api.seedLedger();
      const before = await api.head(ledgerId);
      const unbalanced = { ...DEPOSIT, postings: [DEPOSIT.postings[0], { ...DEPOSIT.postings[1], amount: '99.00' }] };
      expectProblem(await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: unbalanced }), 422, 'UNBALANCED');
      expect(await api.head(ledgerId)).toBe(before);
      const recorded = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: DEPOSIT });
      expect(recorded.status).toBe(201);
      expect(recorded.body.position).toBe(before + 1);
    });

    it('keeps transaction ids per ledger: the same id records in another ledger', async () => {
      const first = await api.seedLedger();
      const second = await api.seedLedger();
      expect((await api.call('POST', `/v1/ledgers/${first}/transactions`, { body: DEPOSIT })).status).toBe(201);
      expect((await api.call('POST', `/v1/ledgers/${second}/transactions`, { body: DEPOSIT })).status).toBe(201);
    });
  });

  describe('Idempotency-Key on other writes', () => {
    it('replays an account close sent again with the same key, and records nothing', async () => {
      const ledgerId = await api.seedLedger();
      const closed = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/merchant/close`, { headers: { 'Idempotency-Key': 'close-merchant-1' } });
      expect(closed.status).toBe(201);
      expect(closed.body).toMatchObject({ id: 'merchant', status: 'closed' });
      const head = await api.head(ledgerId);
      expect(head).toBe(closed.body.position);

      expectReplay(await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/merchant/close`, { headers: { 'Idempotency-Key': 'close-merchant-1' } }), closed);
      expect(await api.head(ledgerId)).toBe(head);
      // Without the key, closing again is a new request: the account is already closed.
      expectProblem(await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/merchant/close`), 409, 'ACCOUNT_CLOSED');
      expect(await api.head(ledgerId)).toBe(head);
    });

    it('answers a close key reused for another account 409 IDEMPOTENCY_CONFLICT naming accountId', async () => {
      const ledgerId = await api.seedLedger();
      const headers = { 'Idempotency-Key': 'close-1' };
      expect((await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/merchant/close`, { headers })).status).toBe(201);
      const head = await api.head(ledgerId);
      const conflict = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/alice/close`, { headers });
      expectProblem(conflict, 409, 'IDEMPOTENCY_CONFLICT');
      expect(errorPaths(conflict)).toEqual(['accountId']);
      expect(await api.head(ledgerId)).toBe(head);
      const alice = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice`);
      expect(alice.body.status).toBe('open');
    });

    it('records one close for 10 concurrent closes with the same key', async () => {
      const ledgerId = await api.seedLedger();
      const before = await api.head(ledgerId);
      const answers = await Promise.all(Array.from({ length: 10 }, () =>
        api.call('POST', `/v1/ledgers/${ledgerId}/accounts/merchant/close`, { headers: { 'Idempotency-Key': 'close-once' } })));
      const created = answers.filter((a) => a.status === 201);
      expect(created).toHaveLength(1);
      for (const answer of answers.filter((a) => a !== created[0])) expectReplay(answer, created[0]!);
      expect(await api.head(ledgerId)).toBe(before + 1);
    });

    it('replays an account open sent again with the same key, and refuses the key with another body', async () => {
      const ledgerId = await api.seedLedger();
      const headers = { 'Idempotency-Key': 'open-savings' };
      const body = { id: 'savings', normalBalance: 'credit', currency: 'USD', metadata: { branch: 7 } };
      const opened = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body, headers });
      expect(opened.status).toBe(201);
      const head = await api.head(ledgerId);

      expectReplay(await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body, headers }), opened);
      expect(await api.head(ledgerId)).toBe(head);

      const conflict = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body: { ...body, id: 'checking' }, headers });
      expectProblem(conflict, 409, 'IDEMPOTENCY_CONFLICT');
      expect(errorPaths(conflict)).toEqual(['id']);
      expect(await api.head(ledgerId)).toBe(head);
      expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/checking`), 404, 'NOT_FOUND');
    });

    it('scopes a key to its operation: the same key on an open and on a close are two requests', async () => {
      const ledgerId = await api.seedLedger();
      const headers = { 'Idempotency-Key': 'shared-key' };
      const opened = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body: { id: 'fees', normalBalance: 'credit', currency: 'USD' }, headers });
      expect(opened.status).toBe(201);
      const closed = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/fees/close`, { headers });
      expect(closed.status).toBe(201);
      expect(closed.body.position).toBe(opened.body.position + 1);
    });

    it('refuses an Idempotency-Key that is not 1 to 255 visible ASCII characters', async () => {
      const ledgerId = await api.seedLedger();
      const head = await api.head(ledgerId);
      for (const key of ['k'.repeat(256), 'with space', 'clé']) {
        const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/merchant/close`, { headers: { 'Idempotency-Key': key } });
        expectProblem(answer, 400, 'VALIDATION_FAILED');
        expect(errorPaths(answer)).toEqual(['Idempotency-Key']);
      }
      expect(await api.head(ledgerId)).toBe(head);
    });
  });

  describe('accounts, keyed by their id', () => {
    it('replays opening an existing account with the same body', async () => {
      const ledgerId = await api.seedLedger({ accounts: [] });
      const body = { id: 'customer:42:wallet', name: 'Wallet', normalBalance: 'credit', currency: 'EUR', noOverdraft: true };
      const opened = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body });
      expect(opened.status).toBe(201);
      expect(opened.body).toMatchObject({ ...body, status: 'open', metadata: {} });
      const replay = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body: { noOverdraft: true, currency: 'EUR', normalBalance: 'credit', name: 'Wallet', id: 'customer:42:wallet' } });
      expectReplay(replay, opened);
      expect(await api.head(ledgerId)).toBe(opened.body.position);
    });

    it('answers opening an existing account with a different body 409 naming the differing fields', async () => {
      const ledgerId = await api.seedLedger({ accounts: [] });
      const body = { id: 'wallet', normalBalance: 'credit', currency: 'EUR' };
      const opened = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body });
      expect(opened.status).toBe(201);
      const conflict = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body: { ...body, normalBalance: 'debit', currency: 'USD' } });
      expectProblem(conflict, 409, 'IDEMPOTENCY_CONFLICT');
      expect(errorPaths(conflict)).toEqual(['currency', 'normalBalance']);
      const named = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body: { ...body, name: 'Wallet' } });
      expectProblem(named, 409, 'IDEMPOTENCY_CONFLICT');
      expect(errorPaths(named)).toEqual(['name']);
      expect(await api.head(ledgerId)).toBe(opened.body.position);
      const read = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/wallet`);
      expect(read.body).toMatchObject({ normalBalance: 'credit', currency: 'EUR', name: 'wallet' });
    });

    it('opens an account once for 20 concurrent identical requests', async () => {
      const ledgerId = await api.seedLedger({ accounts: [] });
      const body = { id: 'wallet', normalBalance: 'credit', currency: 'USD' };
      const answers = await Promise.all(Array.from({ length: 20 }, () => api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body })));
      const created = answers.filter((a) => a.status === 201);
      expect(created).toHaveLength(1);
      for (const answer of answers.filter((a) => a !== created[0])) expectReplay(answer, created[0]!);
      expect(await api.head(ledgerId)).toBe(2);
    });
  });
});
