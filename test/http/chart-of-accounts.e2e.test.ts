import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildProjections } from '../../src/adapters/db/rebuild.ts';
import { describeOnEachDatabase, expectProblem, testApi, type Json, type TestApi } from '../support/http.ts';
import { PRIVATE_DATABASES, type PrivateDatabase } from '../support/private-database.ts';

// Issue 17's first parts (spec sections 2 and 11): account types fixed at opening, roll-ups of
// account paths, and lists filtered by metadata, at any (R, E).

/** A small chart of accounts: typed accounts on their normal sides, and one without a type. */
const CHART: readonly Json[] = [
  { id: 'assets:bank:checking', normalBalance: 'debit', currency: 'USD', type: 'asset', metadata: { bank: 'acme', iban: 'X1' } },
  { id: 'assets:bank:savings', normalBalance: 'debit', currency: 'USD', type: 'asset', metadata: { bank: 'acme' } },
  { id: 'assets:cash', normalBalance: 'debit', currency: 'EUR', type: 'asset' },
  { id: 'liabilities:card', normalBalance: 'credit', currency: 'USD', type: 'liability', metadata: { bank: 'other' } },
  { id: 'equity:opening', normalBalance: 'credit', currency: 'USD', type: 'equity' },
  { id: 'equity:opening-eur', normalBalance: 'credit', currency: 'EUR', type: 'equity' },
  { id: 'income:sales', normalBalance: 'credit', currency: 'USD', type: 'income' },
  { id: 'expenses:rent', normalBalance: 'debit', currency: 'USD', type: 'expense' },
  { id: 'suspense', normalBalance: 'debit', currency: 'USD' },
];

describeOnEachDatabase('account types', (api) => {
  it('opens typed accounts, answers each with its type (null without one) and lists them by type', async () => {
    const ledgerId = await api.seedLedger({ accounts: CHART });
    const path = `/v1/ledgers/${ledgerId}/accounts`;
    const one = await api.call('GET', `${path}/income:sales`);
    expect(one.status, one.text).toBe(200);
    expect(one.body).toMatchObject({ id: 'income:sales', type: 'income', normalBalance: 'credit' });
    expect((await api.call('GET', `${path}/suspense`)).body).toMatchObject({ id: 'suspense', type: null });

    const assets = await api.call('GET', `${path}?type=asset`);
    expect(assets.status, assets.text).toBe(200);
    expect(assets.body.items.map((a: Json) => a.id)).toEqual(['assets:bank:checking', 'assets:bank:savings', 'assets:cash']);
    const all = await api.call('GET', path);
    expect(Object.fromEntries(all.body.items.map((a: Json) => [a.id, a.type]))).toEqual(Object.fromEntries(CHART.map((a) => [a.id, a.type ?? null])));
    // As of a position before the income account was opened, the list of its type is empty.
    const income = CHART.findIndex((a) => a.id === 'income:sales');
    expect((await api.call('GET', `${path}?type=income&recordedAsOfPosition=${income + 1}`)).body.items).toEqual([]);
    expect((await api.call('GET', `${path}?type=income&recordedAsOfPosition=${income + 2}`)).body.items).toHaveLength(1);
  });

  it('refuses an unknown type and a type against the normal balance, naming the fields, and records nothing', async () => {
    const ledgerId = await api.seedLedger({ accounts: [] });
    const path = `/v1/ledgers/${ledgerId}/accounts`;
    const head = await api.head(ledgerId);

    const unknown = await api.call('POST', path, { body: { id: 'x', normalBalance: 'credit', currency: 'USD', type: 'revenue' } });
    expectProblem(unknown, 400, 'VALIDATION_FAILED');
    expect(unknown.body.errors).toEqual([{ path: 'type', message: expect.stringContaining('asset, liability, equity, income, expense') }]);
    expectProblem(await api.call('POST', path, { body: { id: 'x', normalBalance: 'credit', currency: 'USD', type: 7 } }), 400, 'VALIDATION_FAILED');
    expectProblem(await api.call('POST', path, { body: { id: 'x', normalBalance: 'credit', currency: 'USD', type: null } }), 400, 'VALIDATION_FAILED');

    for (const [type, normalBalance] of [['asset', 'credit'], ['expense', 'credit'], ['liability', 'debit'], ['equity', 'debit'], ['income', 'debit']]) {
      const contrary = await api.call('POST', path, { body: { id: 'x', normalBalance, currency: 'USD', type } });
      expectProblem(contrary, 400, 'VALIDATION_FAILED');
      expect(contrary.body.errors.map((e: Json) => e.path)).toEqual(['type', 'normalBalance']);
    }
    expectProblem(await api.call('GET', `${path}?type=revenue`), 400, 'VALIDATION_FAILED');
    expect(await api.head(ledgerId)).toBe(head);
    expectProblem(await api.call('GET', `${path}/x`), 404, 'NOT_FOUND');
  });

  it('keeps the type in the log: AccountOpened has it, an untyped one has no type key, replays compare it, and the chain verifies', async () => {
    const ledgerId = await api.seedLedger({ accounts: [] });
    const path = `/v1/ledgers/${ledgerId}`;
    const typed = { id: 'income:fees', normalBalance: 'credit', currency: 'USD', type: 'income' };
    expect((await api.call('POST', `${path}/accounts`, { body: typed })).status).toBe(201);
    expect((await api.call('POST', `${path}/accounts`, { body: { id: 'plain', normalBalance: 'debit', currency: 'USD' } })).status).toBe(201);

    const replay = await api.call('POST', `${path}/accounts`, { body: typed });
    expect(replay.status, replay.text).toBe(200);
    expect(replay.body).toMatchObject({ id: 'income:fees', type: 'income' });
    const changed = await api.call('POST', `${path}/accounts`, { body: { ...typed, type: 'equity' } });
    expectProblem(changed, 409, 'IDEMPOTENCY_CONFLICT');
    expect(changed.text).toContain('type');

    const feed = await api.call('GET', `${path}/events?after=0`);
    const opened = feed.body.events.filter((e: Json) => e.type === 'AccountOpened').map((e: Json) => e.data);
    expect(opened).toEqual([
      { accountId: 'income:fees', name: 'income:fees', normalBalance: 'credit', currency: 'USD', noOverdraft: false, metadata: {}, type: 'income' },
      { accountId: 'plain', name: 'plain', normalBalance: 'debit', currency: 'USD', noOverdraft: false, metadata: {} },
    ]);
    expect((await api.call('GET', `${path}/verify`)).body).toMatchObject({ ok: true, firstBadPosition: null });
  });
});

describe.each(PRIVATE_DATABASES)('account types after a rebuild on $name', (setup) => {
  let opened: PrivateDatabase;
  let api: TestApi;
  beforeAll(async () => {
    opened = await setup.open();
    api = await testApi(opened.database);
  });
  afterAll(() => opened.dispose());

  it('folds typed and untyped AccountOpened events into the same accounts again', async () => {
    const ledgerId = await api.seedLedger({ accounts: CHART });
    const before = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts`);
    expect(before.body.items.filter((a: Json) => a.type !== null)).toHaveLength(CHART.length - 1);
    await rebuildProjections(opened.database);
    expect((await api.call('GET', `/v1/ledgers/${ledgerId}/accounts`)).body.items).toEqual(before.body.items);
    expect((await api.call('GET', `/v1/ledgers/${ledgerId}/accounts?type=equity`)).body.items.map((a: Json) => a.id)).toEqual(['equity:opening', 'equity:opening-eur']);
    expect((await api.call('GET', `/v1/ledgers/${ledgerId}/verify`)).body).toMatchObject({ ok: true });
  });
});
