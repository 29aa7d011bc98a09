import { expect, it } from 'vitest';
import { describeOnEachDatabase, transfer, type Json } from '../support/http.ts';

// POST .../transactions/batch: up to 1000 transactions, a result per item; `atomic: true`
// records all of them in one commit, or none.

const day = (n: number) => `2026-03-${String(n).padStart(2, '0')}T10:00:00Z`;

describeOnEachDatabase('transaction batches', (api) => {
  const batch = async (ledgerId: string, body: Json) => {
    const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body });
    expect(answer.status, answer.text).toBe(200);
    return answer.body;
  };

  it('records what it can and answers a result per item, in order', async () => {
    const ledgerId = await api.seedLedger();
    const head = await api.head(ledgerId);
    const body = await batch(ledgerId, { transactions: [
      transfer('b1', day(1), 'bank', 'alice', '10.00'),
      transfer('b2', day(2), 'bank', 'nobody', '10.00'),
      transfer('b3', day(3), 'bank', 'alice', '5.00'),
      transfer('b1', day(1), 'bank', 'alice', '10.00'),
    ] });
    expect(body.results.map((r: Json) => [r.status, r.transaction?.id ?? r.problem.code])).toEqual([
      [201, 'b1'], [422, 'UNKNOWN_ACCOUNT'], [201, 'b3'], [200, 'b1'],
    ]);
    expect(body.recorded).toBe(true);
    expect(await api.head(ledgerId)).toBe(head + 2);
  });

  it('records an atomic batch in one commit, or nothing when one item is refused', async () => {
    const ledgerId = await api.seedLedger();
    const head = await api.head(ledgerId);
    const refused = await batch(ledgerId, { atomic: true, transactions: [
      transfer('a1', day(1), 'bank', 'alice', '10.00'),
      transfer('a2', day(2), 'bank', 'alice', '10.001'),
      transfer('a3', day(3), 'bank', 'alice', '5.00'),
    ] });
    expect(refused.recorded).toBe(false);
    expect(refused.results.map((r: Json) => [r.status, r.problem.code])).toEqual([[422, 'SCALE_EXCEEDED'], [422, 'SCALE_EXCEEDED'], [422, 'SCALE_EXCEEDED']]);
    expect(refused.results[0].problem.detail).toContain('item 1');
    expect(await api.head(ledgerId)).toBe(head);

    const items = Array.from({ length: 1000 }, (_, i) => transfer(`x${i}`, day(1 + (i % 28)), 'bank', 'alice', '0.01'));
    const recorded = await batch(ledgerId, { atomic: true, transactions: items });
    expect(recorded.results.every((r: Json) => r.status === 201)).toBe(true);
    const times = new Set(recorded.results.map((r: Json) => r.transaction.recordedAt));
    expect(times.size).toBe(1);
    expect(recorded.results.map((r: Json) => r.transaction.position)).toEqual(items.map((_, i) => head + 1 + i));
    const balance = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?effectiveAsOf=2026-04-01`);
    expect(balance.body.ledgerBalance).toBe('10.00');

    // The same batch again is a replay of every item, recording nothing.
    const again = await batch(ledgerId, { atomic: true, transactions: items });
    expect(again.results.every((r: Json) => r.status === 200)).toBe(true);
    expect(await api.head(ledgerId)).toBe(head + 1000);
  });

  it('replays a batch sent again with the same Idempotency-Key, items without ids included, and names an item that changed', async () => {
    const ledgerId = await api.seedLedger();
    const head = await api.head(ledgerId);
    const send = (body: Json, key: string) => api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body, headers: { 'Idempotency-Key': key } });
    const items = [transfer(undefined, day(1), 'bank', 'alice', '1.00'), transfer(undefined, day(2), 'bank', 'nobody', '2.00'), transfer('k3', day(3), 'bank', 'alice', '3.00')];
    const first = await send({ transactions: items }, 'batch-1');
    expect(first.body.results.map((r: Json) => r.status)).toEqual([201, 422, 201]);
    expect(await api.head(ledgerId)).toBe(head + 2);

    const again = await send({ transactions: items }, 'batch-1');
    expect(again.body.results.map((r: Json) => r.status)).toEqual([200, 422, 200]);
    expect(again.body.results[0].transaction).toEqual(first.body.results[0].transaction);
    expect(await api.head(ledgerId)).toBe(head + 2);

    const changed = await send({ transactions: [items[0], items[1], transfer('k3', day(3), 'bank', 'alice', '4.00')] }, 'batch-1');
    expect(changed.body.results.map((r: Json) => r.problem?.code ?? r.status)).toEqual([200, 'UNKNOWN_ACCOUNT', 'IDEMPOTENCY_CONFLICT']);
    // Another key is another request: the item without an id is recorded again.
    const other = await send({ transactions: [items[0]] }, 'batch-2');
    expect(other.body.results.map((r: Json) => r.status)).toEqual([201]);
    expect(await api.head(ledgerId)).toBe(head + 3);
  });

  it('refuses more than 1000 items and an empty batch with 400', async () => {
    const ledgerId = await api.seedLedger();
    for (const transactions of [[], Array.from({ length: 1001 }, (_, i) => transfer(`y${i}`, day(1), 'bank', 'alice', '0.01'))]) {
      const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions } });
      expect([answer.status, answer.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
  });
});
