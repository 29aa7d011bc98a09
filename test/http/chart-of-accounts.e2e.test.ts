import { describe, expect, it } from 'vitest';
import { rebuildProjections } from '../../src/adapters/db/rebuild.ts';
import { Decimal } from '../../src/domain/money.ts';
import { describeOnEachDatabase, expectProblem, testApi, transfer, type Json } from '../support/http.ts';
import { PRIVATE_DATABASES } from '../support/private-database.ts';

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

describeOnEachDatabase('roll-ups of account paths', (api) => {
  /** The CHART with a credit-normal account under assets (a mixed sub-tree), and entries in USD and EUR, a hold, then a reversal. */
  async function books(): Promise<{ ledgerId: string; beforeReversal: number }> {
    const ledgerId = await api.seedLedger({ accounts: [...CHART, { id: 'assets:allowance', normalBalance: 'credit', currency: 'USD' }] });
    const post = async (body: Json) => {
      const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body });
      expect(answer.status, answer.text).toBe(201);
    };
    await post(transfer('t1', '2026-01-10', 'assets:bank:checking', 'equity:opening', '1000.00'));
    await post({ ...transfer('t5', '2026-01-15', 'assets:cash', 'equity:opening-eur', '10.00'), postings: [
      { accountId: 'assets:cash', direction: 'debit', amount: '10.00' }, { accountId: 'equity:opening-eur', direction: 'credit', amount: '10.00' }] });
    await post(transfer('t2', '2026-02-01', 'assets:bank:savings', 'assets:bank:checking', '500.50'));
    await post(transfer('t3', '2026-03-01', 'expenses:rent', 'liabilities:card', '300.00'));
    await post(transfer('t4', '2026-03-05', 'assets:bank:checking', 'income:sales', '250.25'));
    await post(transfer('t6', '2026-03-05', 'suspense', 'assets:allowance', '100.00'));
    await post({ ...transfer('h1', '2026-03-06', 'expenses:rent', 'assets:bank:checking', '40.00'), status: 'pending' });
    const beforeReversal = await api.head(ledgerId);
    const reversed = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/t4/reverse`, { body: { reason: 'sale cancelled' } });
    expect(reversed.status, reversed.text).toBe(201);
    return { ledgerId, beforeReversal };
  }

  /** Each roll-up is its accounts' balances summed, signed on its side: checked against the accounts of the same answer. */
  function expectSumsOfAccounts(answer: Json) {
    for (const rollup of answer.rollups as Json[]) {
      const members = (answer.accounts as Json[]).filter((a) => a.currency === rollup.currency && (a.accountId === rollup.path || a.accountId.startsWith(`${rollup.path}:`)));
      const sum = (field: string) => members.reduce<Decimal>((total, a) => total.plus(a.normalBalance === rollup.normalBalance ? a[field] : new Decimal(a[field]).negated()), new Decimal(0));
      expect(rollup.accounts).toBe(members.length);
      expect(rollup.mixedNormalBalances).toBe(new Set(members.map((a) => a.normalBalance)).size > 1);
      expect(new Decimal(rollup.ledgerBalance).equals(sum('ledgerBalance')), `${rollup.path}`).toBe(true);
      for (const kind of ['posted', 'pending', 'scheduled']) {
        for (const side of ['debits', 'credits']) {
          const total = members.reduce<Decimal>((t, a) => t.plus(a[kind][side]), new Decimal(0));
          expect(new Decimal(rollup[kind][side]).equals(total), `${rollup.path} ${kind} ${side}`).toBe(true);
        }
      }
    }
  }

  const brief = (rollups: Json[]) => rollups.map((r) => `${r.path} ${r.currency} ${r.ledgerBalance}/${r.availableBalance}${r.mixedNormalBalances ? ' mixed' : ''}`);

  it('sums each sub-tree per currency at depth N, at any (R, E), with the asOf that reproduces it', async () => {
    const { ledgerId, beforeReversal } = await books();
    const path = `/v1/ledgers/${ledgerId}/balances`;
    const now = await api.call('GET', `${path}?depth=1&effectiveAsOf=2026-03-31`);
    expect(now.status, now.text).toBe(200);
    expect(brief(now.body.rollups)).toEqual([
      'assets EUR 10.00/10.00',
      'assets USD 900.00/860.00 mixed',
      'equity EUR 10.00/10.00',
      'equity USD 1000.00/1000.00',
      'expenses USD 300.00/300.00',
      'income USD 0.00/0.00',
      'liabilities USD 300.00/300.00',
      'suspense USD 100.00/100.00',
    ]);
    expect(now.body.rollups[1]).toMatchObject({ path: 'assets', depth: 1, accounts: 3, normalBalance: 'debit', pending: { debits: '0.00', credits: '40.00' } });
    expectSumsOfAccounts(now.body);

    // As known before the reversal, the sale counts; effective before March, neither the rent nor the sale does.
    const known = await api.call('GET', `${path}?depth=2&effectiveAsOf=2026-03-31&recordedAsOfPosition=${beforeReversal}`);
    expect(brief(known.body.rollups).filter((r) => r.startsWith('income') || r.startsWith('assets'))).toEqual([
      'assets EUR 10.00/10.00', 'assets USD 1150.25/1110.25 mixed', 'assets:allowance USD 100.00/100.00', 'assets:bank USD 1250.25/1210.25',
      'assets:cash EUR 10.00/10.00', 'income USD 250.25/250.25', 'income:sales USD 250.25/250.25',
    ]);
    expectSumsOfAccounts(known.body);
    const february = await api.call('GET', `${path}?depth=3&effectiveAsOf=2026-02-15`);
    expect(brief(february.body.rollups).filter((r) => r.startsWith('assets:bank'))).toEqual([
      'assets:bank USD 1000.00/1000.00', 'assets:bank:checking USD 499.50/499.50', 'assets:bank:savings USD 500.50/500.50',
    ]);
    expectSumsOfAccounts(february.body);

    // Sending asOf back reproduces the answer exactly, after more is recorded.
    const asOf = now.body.asOf as Json;
    expect((await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer('t7', '2026-03-02', 'assets:bank:checking', 'income:sales', '1.00') })).status).toBe(201);
    const again = await api.call('GET', `${path}?depth=1&recordedAsOfPosition=${asOf.position}&effectiveAsOf=${encodeURIComponent(asOf.effectiveAt)}`);
    expect(again.body).toEqual(now.body);
  });

  it('rolls up the sub-trees under a prefix only, and answers no roll-ups without depth or prefix', async () => {
    const { ledgerId } = await books();
    const path = `/v1/ledgers/${ledgerId}/balances`;
    const bank = await api.call('GET', `${path}?prefix=assets:bank&effectiveAsOf=2026-03-31`);
    expect(brief(bank.body.rollups)).toEqual(['assets:bank USD 1000.00/960.00', 'assets:bank:checking USD 499.50/459.50', 'assets:bank:savings USD 500.50/500.50']);
    expect(bank.body.accounts.map((a: Json) => a.accountId)).toEqual(['assets:bank:checking', 'assets:bank:savings']);
    expectSumsOfAccounts(bank.body);
    expect(brief((await api.call('GET', `${path}?prefix=assets:bank&depth=2&effectiveAsOf=2026-03-31`)).body.rollups)).toEqual(['assets:bank USD 1000.00/960.00']);
    const plain = await api.call('GET', path);
    expect(plain.status).toBe(200);
    expect(plain.body).not.toHaveProperty('rollups');
  });

  it('refuses a depth that is not a whole number from 1 to 64', async () => {
    const ledgerId = await api.seedLedger();
    for (const depth of ['0', '-1', 'abc', '1.5', '65', '', '01']) {
      const answer = await api.call('GET', `/v1/ledgers/${ledgerId}/balances?depth=${depth}`);
      expectProblem(answer, 400, 'VALIDATION_FAILED');
      expect(answer.body.errors[0].path).toBe('depth');
    }
  });
});

describeOnEachDatabase('lists filtered by metadata', (api) => {
  const ids = (answer: { body: Json }) => (answer.body.items as Json[]).map((item) => item.id);

  /** Transactions with an integration's references: as strings, as a number, nested (not top-level), and a boolean. */
  async function books(): Promise<{ ledgerId: string; beforeT2: number }> {
    const ledgerId = await api.seedLedger({ accounts: CHART });
    const post = async (id: string, metadata: Json, debit = 'assets:bank:checking') => {
      const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: { ...transfer(id, '2026-03-01', debit, 'income:sales', '1.00'), metadata } });
      expect(answer.status, answer.text).toBe(201);
    };
    await post('t1', { orderId: '42', channel: 'web', 'order id': 'a b&c' });
    const beforeT2 = await api.head(ledgerId);
    await post('t2', { orderId: 42, channel: 'shop' }, 'assets:bank:savings');
    await post('t3', { orderId: '43', nested: { orderId: '42' } });
    await post('t4', { flag: true, amount: '42' });
    await post('t5', { orderId: 42.0, channel: 'web' });
    return { ledgerId, beforeT2 };
  }

  it('finds transactions by top-level metadata, several keys ANDed, at any R, page by page', async () => {
    const { ledgerId, beforeT2 } = await books();
    const path = `/v1/ledgers/${ledgerId}/transactions`;
    const list = (query: string) => api.call('GET', `${path}?${query}`);
    expect(ids(await list('metadata[orderId]=42'))).toEqual(['t1', 't2', 't5']);
    expect(ids(await list('metadata[orderId]=42&metadata[channel]=web'))).toEqual(['t1', 't5']);
    expect(ids(await list('metadata[orderId]=42&metadata[channel]=phone'))).toEqual([]);
    expect(ids(await list('metadata[flag]=true'))).toEqual(['t4']);
    expect(ids(await list('metadata[amount]=42'))).toEqual(['t4']);
    expect(ids(await list(`${encodeURIComponent('metadata[order id]')}=${encodeURIComponent('a b&c')}`))).toEqual(['t1']);
    expect(ids(await list('metadata[orderId]=42&accountId=assets:bank:savings'))).toEqual(['t2']);
    // As known before t2 was recorded, only t1 matches; the answer's asOf says where it was read.
    const before = await list(`metadata[orderId]=42&recordedAsOfPosition=${beforeT2}`);
    expect(ids(before)).toEqual(['t1']);
    expect(before.body.asOf.position).toBe(beforeT2);
    // The cursor pins the position of the first page; the filter goes with every page.
    const first = await list('metadata[orderId]=42&limit=2');
    expect(ids(first)).toEqual(['t1', 't2']);
    await api.call('POST', path, { body: { ...transfer('t6', '2026-03-02', 'assets:bank:checking', 'income:sales', '1.00'), metadata: { orderId: '42' } } });
    const next = await list(`metadata[orderId]=42&limit=2&cursor=${first.body.nextCursor}`);
    expect(ids(next)).toEqual(['t5']);
    expect(next.body.nextCursor).toBeNull();
    expect(ids(await list('metadata[orderId]=42'))).toEqual(['t1', 't2', 't5', 't6']);
  });

  it('finds accounts by top-level metadata, with prefix and type', async () => {
    const ledgerId = await api.seedLedger({ accounts: CHART });
    const path = `/v1/ledgers/${ledgerId}/accounts`;
    expect(ids(await api.call('GET', `${path}?metadata[bank]=acme`))).toEqual(['assets:bank:checking', 'assets:bank:savings']);
    expect(ids(await api.call('GET', `${path}?metadata[bank]=acme&metadata[iban]=X1`))).toEqual(['assets:bank:checking']);
    expect(ids(await api.call('GET', `${path}?metadata[bank]=other&type=liability`))).toEqual(['liabilities:card']);
    expect(ids(await api.call('GET', `${path}?metadata[bank]=other&type=asset`))).toEqual([]);
    expect(ids(await api.call('GET', `${path}?metadata[bank]=acme&prefix=assets:bank:s`))).toEqual(['assets:bank:savings']);
    const position = CHART.findIndex((a) => a.id === 'assets:bank:checking') + 2;
    expect(ids(await api.call('GET', `${path}?metadata[bank]=acme&recordedAsOfPosition=${position}`))).toEqual(['assets:bank:checking']);
  });

  it('refuses a malformed metadata parameter, naming it, on both lists', async () => {
    const ledgerId = await api.seedLedger();
    const head = await api.head(ledgerId);
    const bad: [string, string][] = [
      ['metadata[]=1', 'metadata[]'],
      ['metadata[a][b]=1', 'metadata[a][b]'],
      ['metadata[a=1', 'metadata[a'],
      ['metadata[a]=1&metadata[a]=2', 'metadata[a]'],
      ['metadatax=1', 'metadatax'],
      ['metadata=1', 'metadata'],
      [`metadata[${'k'.repeat(201)}]=1`, `metadata[${'k'.repeat(201)}]`],
      [`metadata[a]=${'v'.repeat(1001)}`, 'metadata[a]'],
      ['orderId=42', 'orderId'],
    ];
    for (const list of ['transactions', 'accounts']) {
      for (const [query, path] of bad) {
        const answer = await api.call('GET', `/v1/ledgers/${ledgerId}/${list}?${query}`);
        expectProblem(answer, 400, 'VALIDATION_FAILED');
        expect(answer.body.errors.map((e: Json) => e.path), `${list}?${query.slice(0, 40)}`).toContain(path);
      }
      const many = Array.from({ length: 21 }, (_, i) => `metadata[k${i}]=1`).join('&');
      expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}/${list}?${many}`), 400, 'VALIDATION_FAILED');
    }
    expect(await api.head(ledgerId)).toBe(head);
  });

  // Whether a list reads the GIN index or walks the ledger's rows in position order is the
  // planner's choice (walking wins when many rows match); this checks that the predicate the store
  // writes is one the indexes answer: with sequential scans off, the plan reads them.
  it('can answer from the GIN indexes of migration 017: the containment the store writes is the indexes\' expression', async () => {
    const plans = await api.database.asOwner(async (run) => {
      const explain = async (query: string) => JSON.stringify(await run(`explain ${query}`));
      await run('begin');
      try {
        await run('set local enable_seqscan = off');
        return {
          transactions: await explain(`select transaction_id from transactions t where (t.data -> 'metadata') @> '{"orderId":"42"}'::text::jsonb`),
          accounts: await explain(`select account_id from accounts a where a.metadata @> '{"bank":"acme"}'::text::jsonb`),
        };
      } finally {
        await run('rollback');
      }
    });
    expect(plans.transactions).toContain('transactions_metadata');
    expect(plans.accounts).toContain('accounts_metadata');
  });
});

describe.each(PRIVATE_DATABASES)('account types after a rebuild on $name', (setup) => {
  it('folds typed and untyped AccountOpened events into the same accounts again', async () => {
    const opened = await setup.open();
    try {
      const api = await testApi(opened.database);
      const ledgerId = await api.seedLedger({ accounts: CHART });
      const path = `/v1/ledgers/${ledgerId}`;
      const before = await api.call('GET', `${path}/accounts`);
      expect(before.body.items.filter((a: Json) => a.type !== null)).toHaveLength(CHART.length - 1);
      await rebuildProjections(opened.database);
      expect((await api.call('GET', `${path}/accounts`)).body.items).toEqual(before.body.items);
      expect((await api.call('GET', `${path}/accounts?type=equity`)).body.items.map((a: Json) => a.id)).toEqual(['equity:opening', 'equity:opening-eur']);
      expect((await api.call('GET', `${path}/accounts?metadata[bank]=acme`)).body.items.map((a: Json) => a.id)).toEqual(['assets:bank:checking', 'assets:bank:savings']);
      expect((await api.call('GET', `${path}/verify`)).body).toMatchObject({ ok: true });
    } finally {
      await opened.dispose();
    }
  });
});
