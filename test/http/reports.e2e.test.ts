import { expect, it } from 'vitest';
import { describeOnEachDatabase, expectProblem, transfer, type Json } from '../support/http.ts';

// Spec sections 4 and 5: the statement, the balance history and the restatements report, all
// as of a recorded time, on a story where a deposit is corrected and an entry is backdated.

describeOnEachDatabase('statement, balance history and restatements', (api) => {
  async function story() {
    const ledgerId = await api.seedLedger();
    const path = `/v1/ledgers/${ledgerId}`;
    const post = async (body: Json, suffix = '/transactions') => {
      const answer = await api.call('POST', `${path}${suffix}`, { body });
      expect(answer.status, answer.text).toBe(201);
      return answer.body;
    };
    await post(transfer('dep-1', '2026-03-01T10:00:00Z', 'bank', 'alice', '10000.00'));
    const pay = await post(transfer('pay-1', '2026-03-05T00:00:00Z', 'alice', 'merchant', '200.00'));
    const corrected = await post({ reason: 'should have been 1,000', replacement: transfer('dep-1b', '2026-03-01T10:00:00Z', 'bank', 'alice', '1000.00') }, '/transactions/dep-1/correct');
    await post(transfer('late-1', '2026-03-03T00:00:00Z', 'bank', 'alice', '50.00'));
    return { ledgerId, path, knownBefore: pay.recordedAt as string, reversalId: corrected.reversal.id as string };
  }
  const get = async (path: string) => {
    const answer = await api.call('GET', path);
    expect(answer.status, answer.text).toBe(200);
    return answer.body;
  };

  it('gives the statement in effective order with running balances, paged, as of two recorded times', async () => {
    const { path, knownBefore, reversalId } = await story();
    const now = await get(`${path}/accounts/alice/entries?effectiveFrom=2026-03-01&effectiveTo=2026-03-31`);
    expect(now).toMatchObject({ accountId: 'alice', currency: 'USD', openingBalance: '0.00', closingBalance: '850.00', nextCursor: null });
    expect(now.items.map((i: Json) => [i.transactionId, i.direction, i.amount, i.runningBalance])).toEqual([
      ['dep-1', 'credit', '10000.00', '10000.00'],
      [reversalId, 'debit', '10000.00', '0.00'],
      ['dep-1b', 'credit', '1000.00', '1000.00'],
      ['late-1', 'credit', '50.00', '1050.00'],
      ['pay-1', 'debit', '200.00', '850.00'],
    ]);
    expect(now.items[0]).toMatchObject({ reversedBy: reversalId, reverses: null, effectiveAt: '2026-03-01T10:00:00.000000Z' });
    expect(now.items[1]).toMatchObject({ reverses: 'dep-1' });
    expect(now.items[2]).toMatchObject({ corrects: 'dep-1' });

    // Page by two: the same rows, and the cursor keeps the first page's coordinates.
    const pages: Json[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await get(`${path}/accounts/alice/entries?effectiveFrom=2026-03-01&effectiveTo=2026-03-31&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages.flatMap((p) => p.items)).toEqual(now.items);
    expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);

    const from = await get(`${path}/accounts/alice/entries?effectiveFrom=2026-03-04&effectiveTo=2026-03-31`);
    expect(from).toMatchObject({ openingBalance: '1050.00', closingBalance: '850.00', items: [{ transactionId: 'pay-1', runningBalance: '850.00' }] });

    const before = await get(`${path}/accounts/alice/entries?effectiveTo=2026-03-31&recordedAsOf=${encodeURIComponent(knownBefore)}`);
    expect(before.items.map((i: Json) => [i.transactionId, i.runningBalance])).toEqual([['dep-1', '10000.00'], ['pay-1', '9800.00']]);
    expect(before.items[0].reversedBy).toBeNull();
    expect(before.closingBalance).toBe('9800.00');
  });

  it('gives the balance history by day and by month, as of two recorded times', async () => {
    const { path, knownBefore } = await story();
    const days = await get(`${path}/accounts/alice/balance-history?effectiveFrom=2026-03-01&effectiveTo=2026-03-06`);
    expect(days.items.map((p: Json) => [p.periodEnd, p.ledgerBalance])).toEqual([
      ['2026-03-01', '1000.00'], ['2026-03-02', '1000.00'], ['2026-03-03', '1050.00'],
      ['2026-03-04', '1050.00'], ['2026-03-05', '850.00'], ['2026-03-06', '850.00'],
    ]);
    expect(days.items[0]).toMatchObject({ periodStart: '2026-03-01', effectiveAt: '2026-03-01T23:59:59.999999Z' });
    const earlier = await get(`${path}/accounts/alice/balance-history?effectiveFrom=2026-03-01&effectiveTo=2026-03-06&recordedAsOf=${encodeURIComponent(knownBefore)}`);
    expect(earlier.items.map((p: Json) => p.ledgerBalance)).toEqual(['10000.00', '10000.00', '10000.00', '10000.00', '9800.00', '9800.00']);
    const months = await get(`${path}/accounts/alice/balance-history?effectiveFrom=2026-02-10&effectiveTo=2026-03-31&interval=month`);
    expect(months.items.map((p: Json) => [p.periodStart, p.periodEnd, p.ledgerBalance])).toEqual([
      ['2026-02-01', '2026-02-28', '0.00'], ['2026-03-01', '2026-03-31', '850.00'],
    ]);
    expectProblem(await api.call('GET', `${path}/accounts/alice/balance-history?effectiveFrom=2020-01-01&effectiveTo=2026-01-01`), 400, 'VALIDATION_FAILED');
  });

  it('reports the restatements between two recorded times, with each account before and after', async () => {
    const { ledgerId, path, knownBefore, reversalId } = await story();
    const report = await get(`${path}/restatements?recordedFrom=${encodeURIComponent(knownBefore)}&effectiveAsOf=2026-03-31`);
    expect(report.entries.map((t: Json) => t.id)).toEqual([reversalId, 'dep-1b', 'late-1']);
    expect(report.accounts).toEqual([
      { accountId: 'alice', currency: 'USD', before: '9800.00', after: '850.00' },
      { accountId: 'bank', currency: 'USD', before: '10000.00', after: '1050.00' },
    ]);
    expect(report.recordedFrom).toBe(knownBefore);
    const beforeAnyEffect = await get(`${path}/restatements?recordedFrom=${encodeURIComponent(knownBefore)}&effectiveAsOf=2026-02-28`);
    expect(beforeAnyEffect).toMatchObject({ entries: [], accounts: [] });

    const reader = await api.call('POST', '/v1/keys', { body: { name: 'reader', role: 'reader', ledgerIds: [ledgerId] } });
    const auditor = await api.call('POST', '/v1/keys', { body: { name: 'auditor', role: 'auditor', ledgerIds: [ledgerId] } });
    for (const report of ['restatements?recordedFrom=2026-01-01T00:00:00Z', 'reversals']) {
      expectProblem(await api.call('GET', `${path}/${report}`, { key: reader.body.key }), 403, 'FORBIDDEN');
      expect((await api.call('GET', `${path}/${report}`, { key: auditor.body.key })).status).toBe(200);
    }
  });
});
