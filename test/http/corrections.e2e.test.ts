import { expect, it } from 'vitest';
import { describeOnEachDatabase, transfer } from '../support/http.ts';

const deposit = (id: string, amount: string, effectiveAt = '2026-03-01T10:00:00Z') => transfer(id, effectiveAt, 'bank', 'alice', amount);

describeOnEachDatabase('reversals, corrections and period close', (api) => {

  const balance = async (ledgerId: string, query: string) =>
    (await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?${query}`)).body;

  it('corrects a 10,000 deposit that should have been 1,000 by full reversal and a replacement', async () => {
    const ledgerId = await api.seedLedger();
    const original = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: deposit('dep-1', '10000.00') });
    expect(original.status).toBe(201);
    const beforeCorrection = original.body.position as number;

    const corrected = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/dep-1/correct`, {
      body: { reason: 'keyed 10,000 instead of 1,000', replacement: deposit('dep-1b', '1000.00') },
    });
    expect(corrected.status).toBe(201);
    const { reversal, replacement } = corrected.body;
    expect(reversal).toMatchObject({
      reverses: 'dep-1', reason: 'keyed 10,000 instead of 1,000', effectiveAt: '2026-03-01T10:00:00.000000Z',
      postings: [
        { accountId: 'bank', direction: 'credit', amount: '10000.00', currency: 'USD' },
        { accountId: 'alice', direction: 'debit', amount: '10000.00', currency: 'USD' },
      ],
    });
    expect(replacement).toMatchObject({ id: 'dep-1b', corrects: 'dep-1', effectiveAt: '2026-03-01T10:00:00.000000Z' });
    expect(replacement.position).toBe(reversal.position + 1);
    expect(replacement.recordedAt).toBe(reversal.recordedAt);

    // Effective before the deposit: nothing, whatever was known.
    expect((await balance(ledgerId, `effectiveAsOf=2026-02-28&recordedAsOfPosition=${beforeCorrection}`)).ledgerBalance).toBe('0.00');
    // Effective after it, as known before the correction: 10,000; as known after: 1,000.
    expect((await balance(ledgerId, `effectiveAsOf=2026-03-02&recordedAsOfPosition=${beforeCorrection}`)).ledgerBalance).toBe('10000.00');
    expect((await balance(ledgerId, `effectiveAsOf=2026-03-02&recordedAsOf=${encodeURIComponent(original.body.recordedAt)}`)).ledgerBalance).toBe('10000.00');
    expect((await balance(ledgerId, 'effectiveAsOf=2026-03-02')).ledgerBalance).toBe('1000.00');
    expect((await balance(ledgerId, `effectiveAsOf=2026-03-02&recordedAsOf=${encodeURIComponent(reversal.recordedAt)}`)).ledgerBalance).toBe('1000.00');

    // The trial balance: every account, and debits equal credits per currency, at both points.
    for (const coordinates of ['effectiveAsOf=2026-03-02', `effectiveAsOf=2026-03-02&recordedAsOfPosition=${beforeCorrection}`]) {
      const trial = await api.call('GET', `/v1/ledgers/${ledgerId}/balances?${coordinates}`);
      expect(trial.status).toBe(200);
      expect(trial.body.accounts.map((a: { accountId: string }) => a.accountId)).toEqual(['alice', 'bank', 'merchant']);
      expect(trial.body.totals).toHaveLength(1);
      expect(trial.body.totals[0].debits).toBe(trial.body.totals[0].credits);
    }
    const trialNow = await api.call('GET', `/v1/ledgers/${ledgerId}/balances?effectiveAsOf=2026-03-02&prefix=al`);
    expect(trialNow.body.accounts).toMatchObject([{ accountId: 'alice', ledgerBalance: '1000.00' }]);
    expect(trialNow.body.totals).toEqual([{ currency: 'USD', debits: '10000.00', credits: '11000.00' }]);

    // The reversal report pairs them, with the reason and the actor.
    const report = await api.call('GET', `/v1/ledgers/${ledgerId}/reversals`);
    expect(report.status).toBe(200);
    expect(report.body.items).toHaveLength(1);
    expect(report.body.items[0]).toMatchObject({
      original: { id: 'dep-1' }, reversal: { id: reversal.id }, replacement: { id: 'dep-1b' },
      reason: 'keyed 10,000 instead of 1,000', recordedAt: reversal.recordedAt, effectiveAt: '2026-03-01T10:00:00.000000Z',
    });
    expect(report.body.items[0].actor).toMatch(/^key_/);
    const reportBefore = await api.call('GET', `/v1/ledgers/${ledgerId}/reversals?recordedAsOfPosition=${beforeCorrection}`);
    expect(reportBefore.body.items).toEqual([]);

    // The original shows its links as of now, and none as of before the correction.
    const now = await api.call('GET', `/v1/ledgers/${ledgerId}/transactions/dep-1`);
    expect(now.body).toMatchObject({ reversedBy: reversal.id, correctedBy: 'dep-1b' });
    const then = await api.call('GET', `/v1/ledgers/${ledgerId}/transactions/dep-1?recordedAsOfPosition=${beforeCorrection}`);
    expect(then.body).toMatchObject({ reversedBy: null, correctedBy: null });
  });

  it('refuses double reversal, reversing a reversal, a hold and a partial reversal, recording nothing', async () => {
    const ledgerId = await api.seedLedger();
    await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: deposit('d1', '50.00') });
    const reversed = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/d1/reverse`, { body: { reason: 'duplicate', id: 'd1-rev' } });
    expect(reversed.status).toBe(201);
    const replay = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/d1/reverse`, { body: { reason: 'duplicate', id: 'd1-rev' } });
    expect(replay.status).toBe(200);
    const at = await api.head(ledgerId);

    const refusals: [string, unknown, number, string][] = [
      ['d1', { reason: 'again' }, 409, 'ALREADY_REVERSED'],
      ['d1-rev', { reason: 'undo the undo' }, 409, 'NOT_REVERSIBLE'],
      ['d1', { reason: 'part', postings: [{ accountId: 'bank', direction: 'credit', amount: '10.00' }] }, 400, 'VALIDATION_FAILED'],
      ['d1', { reason: 'part', amount: '10.00' }, 400, 'VALIDATION_FAILED'],
      ['nope', { reason: 'missing' }, 404, 'NOT_FOUND'],
      ['d1', {}, 400, 'VALIDATION_FAILED'],
    ];
    for (const [id, body, status, code] of refusals) {
      const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/${id}/reverse`, { body });
      expect([answer.status, answer.body.code], JSON.stringify(body)).toEqual([status, code]);
    }
    const hold = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, {
      body: { ...deposit('h1', '5.00'), status: 'pending' },
    });
    expect(hold.status).toBe(201);
    const afterHold = await api.head(ledgerId);
    expect(afterHold).toBe(at + 1);
    const holdReversal = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/h1/reverse`, { body: { reason: 'no' } });
    expect([holdReversal.status, holdReversal.body.code]).toEqual([409, 'NOT_REVERSIBLE']);
    const early = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: deposit('d2', '5.00') });
    const tooEarly = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/d2/reverse`, { body: { reason: 'x', effectiveAt: '2026-02-01T00:00:00Z' } });
    expect([tooEarly.status, tooEarly.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(await api.head(ledgerId)).toBe(early.body.position);
  });

  it('closes periods forward only and refuses every write dated into them', async () => {
    const ledgerId = await api.seedLedger({ timezone: 'Europe/Paris' });
    await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: deposit('d1', '50.00', '2026-03-15T12:00:00+01:00') });
    const closed = await api.call('POST', `/v1/ledgers/${ledgerId}/periods/close`, { body: { through: '2026-03-31' } });
    expect(closed.status).toBe(201);
    expect((await api.call('GET', `/v1/ledgers/${ledgerId}`)).body.closedThrough).toBe('2026-03-31');
    const at = await api.head(ledgerId);

    const inClosed = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: deposit('d2', '1.00', '2026-03-31T23:59:59+02:00') });
    expect([inClosed.status, inClosed.body.code]).toEqual([409, 'PERIOD_CLOSED']);
    expect(inClosed.body.detail).toContain('2026-04-01');
    const reversal = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/d1/reverse`, { body: { reason: 'late' } });
    expect([reversal.status, reversal.body.code]).toEqual([409, 'PERIOD_CLOSED']);
    const correction = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/d1/correct`, { body: { reason: 'late', replacement: deposit('d1b', '5.00', '2026-04-02') } });
    expect([correction.status, correction.body.code]).toEqual([409, 'PERIOD_CLOSED']);
    const backwards = await api.call('POST', `/v1/ledgers/${ledgerId}/periods/close`, { body: { through: '2026-03-30' } });
    expect([backwards.status, backwards.body.code]).toEqual([409, 'PERIOD_CLOSED']);
    const future = await api.call('POST', `/v1/ledgers/${ledgerId}/periods/close`, { body: { through: '2999-01-01' } });
    expect([future.status, future.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(await api.head(ledgerId)).toBe(at);

    // With an explicit effective time in the open period, the reversal is recorded.
    const dated = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/d1/reverse`, { body: { reason: 'late', effectiveAt: '2026-04-01' } });
    expect(dated.status).toBe(201);
    expect(dated.body.effectiveAt).toBe('2026-03-31T22:00:00.000000Z');
  });
});
