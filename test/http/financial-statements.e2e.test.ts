import { expect, it } from 'vitest';
import { describeOnEachDatabase, expectProblem, transfer, type Json } from '../support/http.ts';

// Spec section 11's balance sheet and income statement, on the worked example of section 13
// extended with typed accounts, at the five (R, E) pairs of its table, and side by side at its
// two knowledge times.
//
// The service records at its own clock, so the example is dated in 2099 (as the console test
// dates it): every entry is recorded before it takes effect, and the two knowledge times of the
// table ("03-04 00:00" and "03-07 00:00") are the positions after the rent and after the end.

const Y = '2099';

/** The example's accounts, typed: the service's own bank account, two customers' balances it owes, its capital, income and costs, and an untyped suspense account. */
const CHART: readonly Json[] = [
  { id: 'bank', normalBalance: 'debit', currency: 'USD', type: 'asset' },
  { id: 'alice', normalBalance: 'credit', currency: 'USD', type: 'liability' },
  { id: 'merchant', normalBalance: 'credit', currency: 'USD', type: 'liability' },
  { id: 'equity:capital', normalBalance: 'credit', currency: 'USD', type: 'equity' },
  { id: 'income:fees', normalBalance: 'credit', currency: 'USD', type: 'income' },
  { id: 'expenses:bank-charges', normalBalance: 'debit', currency: 'USD', type: 'expense' },
  { id: 'suspense', normalBalance: 'credit', currency: 'USD' },
];

describeOnEachDatabase('financial statements', (api) => {
  /** Section 13 in its order, with a capital deposit, a fee, a backdated bank charge and an unplaced receipt around it. */
  async function workedExample() {
    const ledgerId = await api.seedLedger({ timezone: 'UTC', accounts: CHART });
    const path = `/v1/ledgers/${ledgerId}`;
    const post = async (suffix: string, body: Json) => {
      const answer = await api.call('POST', `${path}${suffix}`, { body });
      expect(answer.status, answer.text).toBe(201);
      return answer.body;
    };
    await post('/transactions', transfer('capital', `${Y}-03-01T09:00:00Z`, 'bank', 'equity:capital', '5000.00'));
    await post('/transactions', transfer('dep-1', `${Y}-03-01T10:00:00Z`, 'bank', 'alice', '10000.00'));
    await post('/transactions', { ...transfer('card-1', `${Y}-03-02T09:00:00Z`, 'alice', 'merchant', '300.00'), status: 'pending', expiresAt: `${Y}-03-09T00:00:00Z` });
    await post('/transactions', transfer('rent-march', `${Y}-03-10T00:00:00Z`, 'alice', 'merchant', '1000.00'));
    await post('/transactions', transfer('fee-march', `${Y}-03-03T00:00:00Z`, 'merchant', 'income:fees', '30.00'));
    const first = await api.head(ledgerId);
    const correction = await post('/transactions/dep-1/correct', { reason: 'should have been 1,000', replacement: transfer('dep-1b', `${Y}-03-01T10:00:00Z`, 'bank', 'alice', '1000.00') });
    await post('/transactions/card-1/post', { effectiveAt: `${Y}-03-06T08:00:00Z`, postings: [{ accountId: 'alice', direction: 'debit', amount: '250.00' }, { accountId: 'merchant', direction: 'credit', amount: '250.00' }] });
    await post('/transactions', transfer('bank-charge', `${Y}-03-02T00:00:00Z`, 'expenses:bank-charges', 'bank', '12.00'));
    await post('/transactions', transfer('unknown-1', `${Y}-03-05T00:00:00Z`, 'bank', 'suspense', '7.00'));
    return { ledgerId, path, first, second: await api.head(ledgerId), reversalId: correction.reversal.id as string };
  }
  const get = async (path: string) => {
    const answer = await api.call('GET', path);
    expect(answer.status, answer.text).toBe(200);
    return answer.body;
  };
  const linesOf = (report: Json) => Object.fromEntries(report.sections.map((s: Json) => [s.section, s.lines.map((l: Json) => [l.accountId, l.amount])]));
  const totalsOf = (report: Json) => report.totals.map(({ currency: _, ...figures }: Json) => figures);

  it('gives the balance sheet at the five (R, E) pairs of the worked example, balanced with current earnings and the unclassified account', async () => {
    const { path, first, second } = await workedExample();
    // By hand: bank is capital + deposits - charge + receipt; alice and merchant as in section 13 (merchant also paid the 30.00 fee).
    const table = [
      [first, '03-04', { bank: '15000.00', alice: '10000.00', merchant: '-30.00', income: '30.00', expenses: '0.00', suspense: '0.00' }, { assets: '15000.00', liabilities: '9970.00', currentEarnings: '30.00', unclassified: '0.00' }],
      [first, '03-12', { bank: '15000.00', alice: '9000.00', merchant: '970.00', income: '30.00', expenses: '0.00', suspense: '0.00' }, { assets: '15000.00', liabilities: '9970.00', currentEarnings: '30.00', unclassified: '0.00' }],
      [second, '03-04', { bank: '5988.00', alice: '1000.00', merchant: '-30.00', income: '30.00', expenses: '12.00', suspense: '0.00' }, { assets: '5988.00', liabilities: '970.00', currentEarnings: '18.00', unclassified: '0.00' }],
      [second, '03-07', { bank: '5995.00', alice: '750.00', merchant: '220.00', income: '30.00', expenses: '12.00', suspense: '7.00' }, { assets: '5995.00', liabilities: '970.00', currentEarnings: '18.00', unclassified: '-7.00' }],
      [second, '03-12', { bank: '5995.00', alice: '-250.00', merchant: '1220.00', income: '30.00', expenses: '12.00', suspense: '7.00' }, { assets: '5995.00', liabilities: '970.00', currentEarnings: '18.00', unclassified: '-7.00' }],
    ] as const;
    for (const [position, day, lines, totals] of table) {
      const sheet = await get(`${path}/reports/balance-sheet?recordedAsOfPosition=${position}&effectiveAsOf=${Y}-${day}T00:00:00Z`);
      expect(sheet.asOf).toEqual({ position, recordedAt: expect.any(String), effectiveAt: `${Y}-${day}T00:00:00.000000Z` });
      expect(linesOf(sheet)).toEqual({
        asset: [['bank', lines.bank]],
        liability: [['alice', lines.alice], ['merchant', lines.merchant]],
        equity: [['equity:capital', '5000.00']],
        currentEarnings: [['expenses:bank-charges', lines.expenses], ['income:fees', lines.income]],
        unclassified: [['suspense', lines.suspense]],
      });
      expect(totalsOf(sheet)).toEqual([{ ...totals, equity: '5000.00' }]);
      expect(sheet.sections.map((s: Json) => [s.section, s.side, s.totals])).toEqual([
        ['asset', 'debit', [{ currency: 'USD', amount: totals.assets }]],
        ['liability', 'credit', [{ currency: 'USD', amount: totals.liabilities }]],
        ['equity', 'credit', [{ currency: 'USD', amount: '5000.00' }]],
        ['currentEarnings', 'credit', [{ currency: 'USD', amount: totals.currentEarnings }]],
        ['unclassified', 'debit', [{ currency: 'USD', amount: totals.unclassified }]],
      ]);
      expect(sheet.sections[4].lines[0]).toMatchObject({ accountId: 'suspense', type: null, normalBalance: 'credit' });
      // Sending asOf back reproduces the answer.
      expect(await get(`${path}/reports/balance-sheet?recordedAsOfPosition=${sheet.asOf.position}&effectiveAsOf=${sheet.asOf.effectiveAt}`)).toEqual(sheet);
    }
  });

  it('gives the income statement of the month to each E of the table, and of shorter periods, as known at R', async () => {
    const { path, first, second } = await workedExample();
    for (const [position, day, income, expenses, netIncome] of [
      [first, '03-04', '30.00', '0.00', '30.00'], [first, '03-12', '30.00', '0.00', '30.00'],
      [second, '03-04', '30.00', '12.00', '18.00'], [second, '03-07', '30.00', '12.00', '18.00'], [second, '03-12', '30.00', '12.00', '18.00'],
    ] as const) {
      const statement = await get(`${path}/reports/income-statement?recordedAsOfPosition=${position}&effectiveFrom=${Y}-03-01&effectiveTo=${Y}-${day}T00:00:00Z`);
      expect(statement).toMatchObject({ effectiveFrom: `${Y}-03-01T00:00:00.000000Z`, effectiveTo: `${Y}-${day}T00:00:00.000000Z`, asOf: { position } });
      expect(linesOf(statement)).toEqual({ income: [['income:fees', income]], expense: [['expenses:bank-charges', expenses]] });
      expect(totalsOf(statement)).toEqual([{ income, expenses, netIncome }]);
    }
    // The period's start is inclusive (the fee takes effect at 03-03 00:00) and the day before it is not in it.
    const fromThird = await get(`${path}/reports/income-statement?effectiveFrom=${Y}-03-03T00:00:00Z&effectiveTo=${Y}-03-31`);
    expect(totalsOf(fromThird)).toEqual([{ income: '30.00', expenses: '0.00', netIncome: '30.00' }]);
    expect(fromThird.effectiveTo).toBe(`${Y}-03-31T23:59:59.999999Z`);
    const afterFee = await get(`${path}/reports/income-statement?effectiveFrom=${Y}-03-03T00:00:00.000001Z&effectiveTo=${Y}-03-31`);
    expect(totalsOf(afterFee)).toEqual([{ income: '0.00', expenses: '0.00', netIncome: '0.00' }]);
  });

  it('puts the balance sheet as known at two recorded times side by side, with the entries behind each difference', async () => {
    const { path, first, reversalId } = await workedExample();
    const sheet = await get(`${path}/reports/balance-sheet?effectiveAsOf=${Y}-03-04T00:00:00Z&compareRecordedAsOfPosition=${first}`);
    expect(sheet.compareAsOf).toMatchObject({ position: first, effectiveAt: sheet.asOf.effectiveAt });
    const line = (id: string) => sheet.sections.flatMap((s: Json) => s.lines).find((l: Json) => l.accountId === id);
    expect(line('bank')).toMatchObject({ amount: '5988.00', compareAmount: '15000.00', difference: '-9012.00', entries: [reversalId, 'dep-1b', 'bank-charge'] });
    expect(line('alice')).toMatchObject({ amount: '1000.00', compareAmount: '10000.00', difference: '-9000.00', entries: [reversalId, 'dep-1b'] });
    expect(line('expenses:bank-charges')).toMatchObject({ amount: '12.00', compareAmount: '0.00', difference: '12.00', entries: ['bank-charge'] });
    expect(line('merchant')).toMatchObject({ amount: '-30.00', compareAmount: '-30.00', difference: '0.00', entries: [] });
    expect(sheet.totals).toEqual([{
      currency: 'USD', assets: '5988.00', liabilities: '970.00', equity: '5000.00', currentEarnings: '18.00', unclassified: '0.00',
      compare: { assets: '15000.00', liabilities: '9970.00', equity: '5000.00', currentEarnings: '30.00', unclassified: '0.00' },
      difference: { assets: '-9012.00', liabilities: '-9000.00', equity: '0.00', currentEarnings: '-12.00', unclassified: '0.00' },
    }]);
    // The entries, linked to what they reverse and correct; the receipt of 03-05 is after E.
    expect(sheet.entries.map((t: Json) => [t.id, t.reverses, t.corrects])).toEqual([[reversalId, 'dep-1', null], ['dep-1b', null, 'dep-1'], ['bank-charge', null, null]]);
    expect(sheet.entriesComplete).toBe(true);

    // At 03-12 the capture of card-1 (a hold recorded before the first knowledge time) is behind
    // alice's and the merchant's differences, and the receipt behind the bank's and suspense's.
    const later = await get(`${path}/reports/balance-sheet?effectiveAsOf=${Y}-03-12T00:00:00Z&compareRecordedAsOfPosition=${first}`);
    expect(Object.fromEntries(later.sections.flatMap((s: Json) => s.lines).map((l: Json) => [l.accountId, [l.difference, l.entries]]))).toEqual({
      bank: ['-9005.00', [reversalId, 'dep-1b', 'bank-charge', 'unknown-1']], alice: ['-9250.00', [reversalId, 'dep-1b', 'card-1']],
      merchant: ['250.00', ['card-1']], 'equity:capital': ['0.00', []], 'income:fees': ['0.00', []],
      'expenses:bank-charges': ['12.00', ['bank-charge']], suspense: ['7.00', ['unknown-1']],
    });
    expect(later.entries.map((t: Json) => [t.id, t.status])).toEqual([[reversalId, 'posted'], ['dep-1b', 'posted'], ['card-1', 'posted'], ['bank-charge', 'posted'], ['unknown-1', 'posted']]);

    // The income statement side by side: the charge is what changed.
    const statement = await get(`${path}/reports/income-statement?effectiveFrom=${Y}-03-01&effectiveTo=${Y}-03-31&compareRecordedAsOfPosition=${first}`);
    expect(statement.totals).toEqual([{
      currency: 'USD', income: '30.00', expenses: '12.00', netIncome: '18.00',
      compare: { income: '30.00', expenses: '0.00', netIncome: '30.00' }, difference: { income: '0.00', expenses: '12.00', netIncome: '-12.00' },
    }]);
    expect(statement.sections[1].lines).toEqual([expect.objectContaining({ accountId: 'expenses:bank-charges', difference: '12.00', entries: ['bank-charge'] })]);

    // The same comparison by recorded time, and the other way round: the differences change sign.
    const knownThen = (await get(`${path}/reports/balance-sheet?recordedAsOfPosition=${first}`)).asOf.recordedAt as string;
    const byTime = await get(`${path}/reports/balance-sheet?effectiveAsOf=${Y}-03-04T00:00:00Z&compareRecordedAsOf=${knownThen}`);
    expect(byTime.totals).toEqual(sheet.totals);
    const reversed = await get(`${path}/reports/balance-sheet?recordedAsOfPosition=${first}&effectiveAsOf=${Y}-03-04T00:00:00Z&compareRecordedAsOfPosition=${sheet.asOf.position}`);
    expect(reversed.totals[0].difference).toMatchObject({ assets: '9012.00', currentEarnings: '12.00' });
    expect(reversed.entries.map((t: Json) => t.id)).toEqual(sheet.entries.map((t: Json) => t.id));
  });

  it('refuses bad parameters with a problem naming them, and lets reader and auditor keys read', async () => {
    const { ledgerId, path } = await workedExample();
    const bad: [string, string][] = [
      ['/reports/balance-sheet?effectiveAsOf=2099-02-30', 'effectiveAsOf'],
      ['/reports/balance-sheet?compareRecordedAsOf=yesterday', 'compareRecordedAsOf'],
      ['/reports/balance-sheet?compareRecordedAsOfPosition=-1', 'compareRecordedAsOfPosition'],
      ['/reports/balance-sheet?compareRecordedAsOfPosition=999999', 'compareRecordedAsOfPosition'],
      ['/reports/balance-sheet?compareRecordedAsOfPosition=1&compareRecordedAsOf=2099-01-01T00:00:00Z', 'compareRecordedAsOfPosition'],
      ['/reports/balance-sheet?recordedAsOfPosition=1&recordedAsOf=2099-01-01T00:00:00Z', 'recordedAsOfPosition'],
      ['/reports/balance-sheet?depth=2', 'depth'],
      ['/reports/income-statement?effectiveTo=2099-03-31', 'effectiveFrom'],
      ['/reports/income-statement?effectiveFrom=2099-04-01&effectiveTo=2099-03-31', 'effectiveFrom'],
      ['/reports/income-statement?effectiveFrom=2099-03-01&effectiveTo=31.03.2099', 'effectiveTo'],
      ['/reports/income-statement?effectiveFrom=2099-03-01&effectiveAsOf=2099-03-31', 'effectiveAsOf'],
    ];
    for (const [query, field] of bad) {
      const answer = await api.call('GET', `${path}${query}`);
      expectProblem(answer, 400, 'VALIDATION_FAILED');
      expect(answer.body.errors.map((e: Json) => e.path), query).toContain(field);
    }
    for (const role of ['reader', 'auditor']) {
      const { key } = (await api.call('POST', '/v1/keys', { body: { name: role, role, ledgerIds: [ledgerId] } })).body;
      expect((await api.call('GET', `${path}/reports/balance-sheet`, { key })).status).toBe(200);
      expect((await api.call('GET', `${path}/reports/income-statement?effectiveFrom=2026-01-01`, { key })).status).toBe(200);
    }
  });
});
