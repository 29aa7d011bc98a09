import { expect, it } from 'vitest';
import { describeOnEachDatabase, expectProblem, transfer, type Json } from '../support/http.ts';

// GET .../restatements and holds across its window of recorded times (docs/reports.md): the
// report is about the books, the ledger balances. A hold recorded before the window and captured
// in it is there (under its id, at its capture); a hold placed, voided or expiring in it moves no
// ledger balance and is not; each account's difference is exactly what the listed entries posted.

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeOnEachDatabase('restatements and holds across the window', (api) => {
  it('lists a hold captured in the window though recorded before it, and no void, expiry or pending hold', async () => {
    const ledgerId = await api.seedLedger();
    const path = `/v1/ledgers/${ledgerId}`;
    const write = async (suffix: string, body: Json) => {
      const answer = await api.call('POST', `${path}${suffix}`, { body });
      expect(answer.status, answer.text).toBe(201);
      return answer.body;
    };
    const get = async (suffix: string) => {
      const answer = await api.call('GET', `${path}${suffix}`);
      expect(answer.status, answer.text).toBe(200);
      return answer.body;
    };
    const hold = (id: string, amount: string, expiresAt?: string) =>
      write('/transactions', { ...transfer(id, '2026-03-02T00:00:00Z', 'alice', 'merchant', amount), status: 'pending', ...(expiresAt ? { expiresAt } : {}) });

    // Before the window: alice funded, four holds on her.
    await write('/transactions', transfer('fund-1', '2026-03-01T00:00:00Z', 'bank', 'alice', '1000.00'));
    await hold('h-cap', '300.00');
    await hold('h-void', '100.00');
    const expiresAt = new Date(Date.now() + 1000).toISOString();
    await hold('h-exp', '50.00', expiresAt);
    const recordedFrom = (await hold('h-late', '40.00')).recordedAt as string;

    // In the window: h-exp expires (on the clock), h-cap is captured in part (effective 03-10),
    // h-void is voided (effective 03-20), a new hold is placed, and a backdated transfer is recorded.
    await sleep(Math.max(0, Date.parse(expiresAt) - Date.now()) + 50);
    expectProblem(await api.call('POST', `${path}/transactions/h-exp/post`, { body: {} }), 409, 'HOLD_EXPIRED');
    const captured = await write('/transactions/h-cap/post', {
      effectiveAt: '2026-03-10T00:00:00Z',
      postings: [{ accountId: 'alice', direction: 'debit', amount: '200.00' }, { accountId: 'merchant', direction: 'credit', amount: '200.00' }],
    });
    const voided = await write('/transactions/h-void/void', { reason: 'cancelled', effectiveAt: '2026-03-20T00:00:00Z' });
    await write('/transactions', { ...transfer('h-new', '2026-03-04T00:00:00Z', 'alice', 'merchant', '20.00'), status: 'pending' });
    const recordedTo = (await write('/transactions', transfer('late-1', '2026-03-03T00:00:00Z', 'bank', 'alice', '5.00'))).recordedAt as string;
    // After the window: h-late captured.
    await write('/transactions/h-late/post', {});

    const window = (effectiveAsOf: string, from = recordedFrom, to = recordedTo) =>
      get(`/restatements?recordedFrom=${encodeURIComponent(from)}&recordedTo=${encodeURIComponent(to)}&effectiveAsOf=${effectiveAsOf}`);

    const march = await window('2026-03-31');
    expect(march.entries.map((t: Json) => t.id)).toEqual(['h-cap', 'late-1']);
    expect(march.entries[0]).toMatchObject({ id: 'h-cap', status: 'posted', resolution: { type: 'posted', position: captured.resolution.position } });
    expect(march.accounts).toEqual([
      { accountId: 'alice', currency: 'USD', before: '1000.00', after: '805.00' },
      { accountId: 'bank', currency: 'USD', before: '1000.00', after: '1005.00' },
      { accountId: 'merchant', currency: 'USD', before: '0.00', after: '200.00' },
    ]);

    // Before the capture takes effect, only the transfer moved the books.
    const early = await window('2026-03-05');
    expect(early.entries.map((t: Json) => t.id)).toEqual(['late-1']);
    expect(early.accounts).toEqual([
      { accountId: 'alice', currency: 'USD', before: '1000.00', after: '1005.00' },
      { accountId: 'bank', currency: 'USD', before: '1000.00', after: '1005.00' },
    ]);

    // The void alone moved alice's available balance, not her ledger balance: it restates nothing.
    const aroundVoid = await window('2026-03-31', captured.resolution.recordedAt, voided.resolution.recordedAt);
    expect(aroundVoid).toMatchObject({ entries: [], accounts: [] });
    const alice = (recordedAsOf: string) => get(`/accounts/alice/balance?effectiveAsOf=2026-03-31&recordedAsOf=${encodeURIComponent(recordedAsOf)}`);
    const [beforeVoid, afterVoid] = await Promise.all([alice(captured.resolution.recordedAt), alice(voided.resolution.recordedAt)]);
    expect([beforeVoid.ledgerBalance, beforeVoid.availableBalance, afterVoid.ledgerBalance, afterVoid.availableBalance]).toEqual(['800.00', '610.00', '800.00', '710.00']);

    // Now (after h-exp's expiry), as known before and after the window: the expiry was known
    // from the start (the hold's expiresAt), so it restates nothing either.
    const now = await get(`/restatements?recordedFrom=${encodeURIComponent(recordedFrom)}&recordedTo=${encodeURIComponent(recordedTo)}`);
    expect(now.entries.map((t: Json) => t.id)).toEqual(['h-cap', 'late-1']);
    expect(now.accounts.map((a: Json) => [a.accountId, a.before, a.after])).toEqual([['alice', '1000.00', '805.00'], ['bank', '1000.00', '1005.00'], ['merchant', '0.00', '200.00']]);
  });
});
