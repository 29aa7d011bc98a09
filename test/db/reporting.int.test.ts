import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OwnerRun } from '../../src/adapters/db/database.ts';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { rebuildProjections } from '../../src/adapters/db/rebuild.ts';
import { Projector } from '../../src/app/projector.ts';
import { Decimal } from '../../src/domain/money.ts';
import { formatInstant } from '../../src/domain/time.ts';
import { testApi, type Json, type TestApi } from '../support/http.ts';
import { PRIVATE_DATABASES, type PrivateDatabase } from '../support/private-database.ts';

// Spec section 11: the `reporting` star schema (sql/019, sql/023, sql/functions/reporting.sql):
// facts, accounts and ledgers are views over the ledger's tables; the date dimension is folded by
// the balance projector and rebuilt by `npm run rebuild`. After random writes (backdated and
// future-dated entries, reversals, corrections, holds posted, voided and expired, amounts of 48
// significant digits), reporting.balances_as_of at random (R, E) equals the API's
// `GET .../balances` to the last digit: before any projector has run, after one that starts far
// behind, after a restart, and after a rebuild. The read-only role reads it and nothing else.

const OPERATIONS = 90;
const PAIRS = 15;
const LEDGER = 'reporting-test';
const USD_ACCOUNTS = [
  { id: 'assets:bank:checking', normalBalance: 'debit', type: 'asset' },
  { id: 'assets:bank:savings', normalBalance: 'debit', type: 'asset' },
  { id: 'liabilities:customers:alice', normalBalance: 'credit', type: 'liability' },
  { id: 'liabilities:customers:bob', normalBalance: 'credit', type: 'liability' },
  { id: 'income:fees', normalBalance: 'credit', type: 'income' },
  { id: 'expenses:rent', normalBalance: 'debit', type: 'expense' },
  { id: 'merchant', normalBalance: 'credit' },
].map((a) => ({ ...a, currency: 'USD' }));
const GOLD_ACCOUNTS = [
  { id: 'assets:vault:gold', normalBalance: 'debit', type: 'asset', currency: 'GOLD' },
  { id: 'liabilities:gold:alice', normalBalance: 'credit', type: 'liability', currency: 'GOLD' },
];
const SIDES = ['debit', 'credit'] as const;
const SUMS = ['posted', 'pending', 'scheduled'] as const;

/** Runs SQL as the database's owner (on PGlite, the one session: no API call may wait inside). */
type Owner = <T>(work: (run: OwnerRun) => Promise<T>) => Promise<T>;

/** A seeded generator: the same journal on every run. */
function generator(seed: number) {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const digits = (n: number) => Array.from({ length: n }, () => String(int(10))).join('');
  /** An instant between 2025-11-01 and 2027-03-01, to the microsecond. */
  const instant = () => formatInstant(BigInt(Date.UTC(2025, 10, 1)) * 1000n + BigInt(int(485 * 86_400)) * 1_000_000n + BigInt(int(1_000_000)));
  const amount = (currency: string) => (currency === 'GOLD' ? `${1 + int(9)}${digits(29)}.${digits(17)}${1 + int(9)}` : `${1 + int(5000)}.${digits(2)}`);
  return { random, int, pick, instant, amount };
}

type Generator = ReturnType<typeof generator>;

/** A transaction between two accounts of one currency, posted or a hold. */
function entry(g: Generator, id: string): Json {
  const accounts = g.random() < 0.2 ? GOLD_ACCOUNTS : USD_ACCOUNTS;
  const debit = g.pick(accounts);
  const credit = g.pick(accounts.filter((a) => a !== debit));
  const amount = g.amount(debit.currency);
  const effectiveAt = g.instant();
  const body: Json = { id, effectiveAt, description: `entry ${id}`, metadata: { n: id }, postings: [
    { accountId: debit.id, direction: 'debit', amount }, { accountId: credit.id, direction: 'credit', amount }] };
  if (g.random() < 0.25) {
    // A hold: some expire within seconds (then count until then), some later, some never.
    const expires = g.pick([undefined, 2_000, 365 * 86_400_000]);
    return { ...body, status: 'pending', effectiveAt: formatInstant(BigInt(Date.now() - 60_000) * 1000n), ...(expires === undefined ? {} : { expiresAt: formatInstant(BigInt(Date.now() + expires) * 1000n) }) };
  }
  return body;
}

/** `count` random writes: entries, then reversals, corrections and hold resolutions of earlier ones. */
async function write(api: TestApi, g: Generator, prefix: string, count: number, earlier: Json[]): Promise<void> {
  const path = `/v1/ledgers/${LEDGER}/transactions`;
  for (let i = 0; i < count; i++) {
    const roll = g.random();
    const target = earlier.length > 0 ? g.pick(earlier) : undefined;
    let answer;
    if (target && target.status === 'pending' && roll < 0.3) {
      answer = await api.call('POST', `${path}/${target.id}/${g.random() < 0.6 ? 'post' : 'void'}`, { body: {} });
    } else if (target && target.status !== 'pending' && roll < 0.15) {
      answer = await api.call('POST', `${path}/${target.id}/reverse`, { body: { reason: 'wrong' } });
    } else if (target && target.status !== 'pending' && roll < 0.25) {
      const replacement = entry(g, `${target.id}-fix`);
      answer = await api.call('POST', `${path}/${target.id}/correct`, { body: { reason: 'restated', replacement: { ...replacement, status: undefined, expiresAt: undefined, effectiveAt: undefined } } });
    } else {
      const body = entry(g, `${prefix}-${i}`);
      answer = await api.call('POST', path, { body });
      if (answer.status === 201) earlier.push(body);
    }
    // Refusals (a second reversal, an expired hold, ...) record nothing; anything else is a bug.
    expect(answer.status, answer.text).toBeLessThan(500);
    expect([201, 409], answer.text).toContain(answer.status);
  }
}

/** The balances of the API and of the reporting schema at (R, E), account by account, to the last digit. */
async function compareAt(api: TestApi, owner: Owner, recorded: { position: number } | { at: string }, effectiveAsOf: string): Promise<number> {
  const r = 'position' in recorded ? `recordedAsOfPosition=${recorded.position}` : `recordedAsOf=${encodeURIComponent(recorded.at)}`;
  const answer = await api.call('GET', `/v1/ledgers/${LEDGER}/balances?${r}&effectiveAsOf=${encodeURIComponent(effectiveAsOf)}`);
  expect(answer.status, answer.text).toBe(200);
  const rows = await owner((run) => run(
    `select account_id, posted_debits::text, posted_credits::text, ledger_balance::text, pending_debits::text, pending_credits::text,
            scheduled_debits::text, scheduled_credits::text, available_balance::text
       from reporting.balances_as_of($1, $2::timestamptz, $3::timestamptz, $4::bigint)`,
    [LEDGER, 'at' in recorded ? recorded.at : 'infinity', effectiveAsOf, 'position' in recorded ? recorded.position : null]));
  // The facts as known then, summed as docs/reporting.md says: the posted ones' signed amounts,
  // and the pending ones whose hold is active (this suite's holds take effect before they are recorded).
  const facts = await owner((run) => run(
    `select account_id, coalesce(sum(signed_amount) filter (where status = 'posted'), 0)::text as ledger_balance,
            coalesce(sum(debit) filter (where hold_state = 'pending'), 0)::text as pending_debits,
            coalesce(sum(credit) filter (where hold_state = 'pending'), 0)::text as pending_credits
       from reporting.postings_as_of($1, $2::timestamptz, $3::timestamptz, $4::bigint) group by account_id`,
    [LEDGER, 'at' in recorded ? recorded.at : 'infinity', effectiveAsOf, 'position' in recorded ? recorded.position : null]));
  const factsOf = new Map(facts.map((f) => [String(f.account_id), f]));
  const where = `${r} effectiveAsOf=${effectiveAsOf}`;
  expect(rows.map((row) => row.account_id), where).toEqual((answer.body.accounts as Json[]).map((a) => a.accountId));
  for (const [i, account] of (answer.body.accounts as Json[]).entries()) {
    const row = rows[i]!;
    const same = (ours: unknown, theirs: string, what: string) =>
      expect(new Decimal(String(ours)).eq(new Decimal(theirs)), `${where} ${account.accountId} ${what}: ${String(ours)} vs ${theirs}`).toBe(true);
    same(row.ledger_balance, account.ledgerBalance, 'ledgerBalance');
    same(row.available_balance, account.availableBalance, 'availableBalance');
    for (const sum of SUMS) for (const side of SIDES) same(row[`${sum}_${side}s`], account[sum][`${side}s`], `${sum}.${side}s`);
    const fact = factsOf.get(account.accountId) ?? { ledger_balance: '0', pending_debits: '0', pending_credits: '0' };
    same(fact.ledger_balance, account.ledgerBalance, 'ledgerBalance from postings_as_of');
    for (const side of SIDES) same(fact[`pending_${side}s`], account.pending[`${side}s`], `pending.${side}s from postings_as_of`);
  }
  return rows.length;
}

/** The balance sheet's totals per currency (spec section 11) from the star schema, as docs/reporting.md writes it, beside the API's. */
async function compareBalanceSheet(api: TestApi, owner: Owner, position: number, effectiveAsOf: string): Promise<void> {
  const answer = await api.call('GET', `/v1/ledgers/${LEDGER}/reports/balance-sheet?recordedAsOfPosition=${position}&effectiveAsOf=${encodeURIComponent(effectiveAsOf)}`);
  expect(answer.status, answer.text).toBe(200);
  const rows = await owner((run) => run(BALANCE_SHEET_SQL, [LEDGER, effectiveAsOf, position]));
  const totals = answer.body.totals as Json[];
  expect(rows.map((row) => row.currency)).toEqual(totals.map((t) => t.currency));
  for (const [i, total] of totals.entries()) {
    for (const figure of ['assets', 'liabilities', 'equity', 'currentEarnings', 'unclassified']) {
      const ours = String(rows[i]![figure.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)]);
      expect(new Decimal(ours).eq(new Decimal(String(total[figure]))), `P=${position} E=${effectiveAsOf} ${total.currency} ${figure}: ${ours} vs ${total[figure]}`).toBe(true);
    }
  }
}

const BALANCE_SHEET_SQL = `
  select currency,
         coalesce(sum(ledger_balance) filter (where type = 'asset'), 0)::text as assets,
         coalesce(sum(ledger_balance) filter (where type = 'liability'), 0)::text as liabilities,
         coalesce(sum(ledger_balance) filter (where type = 'equity'), 0)::text as equity,
         (coalesce(sum(ledger_balance) filter (where type = 'income'), 0) - coalesce(sum(ledger_balance) filter (where type = 'expense'), 0))::text as current_earnings,
         coalesce(sum(posted_debits - posted_credits) filter (where type = 'unclassified'), 0)::text as unclassified
    from reporting.balances_as_of($1, effective_as_of => $2::timestamptz, recorded_as_of_position => $3::bigint)
   group by currency order by currency`;

/** PAIRS random coordinates: a position or the recorded time of an event, and an effective time. */
async function comparisons(api: TestApi, owner: Owner, g: Generator): Promise<void> {
  const feed = await api.call('GET', `/v1/ledgers/${LEDGER}/events?after=0&limit=1000`);
  const events = feed.body.events as Json[];
  const effectiveTimes = events.filter((e) => e.type === 'TransactionRecorded').map((e) => String(e.data.effectiveAt));
  let balances = 0;
  for (let n = 0; n < PAIRS; n++) {
    const event = g.pick(events);
    const recorded = n % 3 === 0 ? { at: String(event.recordedAt) } : { position: Number(event.position) };
    // Some effective times exactly at an entry's (inclusive), some at random, one now.
    const effectiveAsOf = n === 0 ? formatInstant(BigInt(Date.now()) * 1000n) : g.random() < 0.4 ? g.pick(effectiveTimes) : g.instant();
    balances += await compareAt(api, owner, recorded, effectiveAsOf);
    if (recorded.position !== undefined) await compareBalanceSheet(api, owner, recorded.position, effectiveAsOf);
  }
  expect(balances).toBeGreaterThan(PAIRS * 3);
}

/** The ledger's reporting rows, in key order: what a rebuild must give again. */
async function reportingRows(run: OwnerRun): Promise<string> {
  const tables = await Promise.all([
    run(`select * from reporting.postings where ledger_id = $1 order by position, seq`, [LEDGER]),
    run(`select * from reporting.accounts where ledger_id = $1 order by account_id`, [LEDGER]),
    run(`select * from reporting.dates order by date`),
  ]);
  return JSON.stringify(tables);
}

describe.each(PRIVATE_DATABASES)('the reporting schema on $name', (setup) => {
  let opened: PrivateDatabase;
  let api: TestApi;
  beforeAll(async () => {
    opened = await setup.open();
    api = await testApi(opened.database);
    const created = await api.call('POST', '/v1/ledgers', { body: { id: LEDGER, name: 'Reporting', timezone: 'America/New_York' } });
    expect(created.status, created.text).toBe(201);
    expect((await api.call('POST', `/v1/ledgers/${LEDGER}/assets`, { body: { code: 'GOLD', scale: 18 } })).status).toBe(201);
    for (const account of [...USD_ACCOUNTS, ...GOLD_ACCOUNTS]) {
      const answer = await api.call('POST', `/v1/ledgers/${LEDGER}/accounts`, { body: account });
      expect(answer.status, answer.text).toBe(201);
    }
  });
  afterAll(() => opened.dispose());

  it('equals the API at random (R, E) when the projector fills it from behind, after a restart, and after a rebuild', { timeout: 300_000 }, async () => {
    const g = generator(setup.name === 'pglite' ? 17 : 29);
    const owner = <T>(work: (run: OwnerRun) => Promise<T>) => opened.database.asOwner(work);
    const earlier: Json[] = [];
    const store = createLedgerStore(opened.database.db);
    await write(api, g, 'a', OPERATIONS / 2, earlier);
    // Nothing projected yet: the facts are there, exact, and their dates wait for the projector.
    const undated = `select count(*)::int as n from reporting.postings f where f.ledger_id = $1 and not exists (select 1 from reporting.dates d where d.date = f.effective_date)`;
    expect(await owner((run) => run('select count(*)::int as n from reporting.postings where ledger_id = $1', [LEDGER])))
      .toEqual(await owner((run) => run('select count(*)::int as n from postings where ledger_id = $1', [LEDGER])));
    expect(Number((await owner((run) => run(undated, [LEDGER])))[0]!.n)).toBeGreaterThan(0);
    await comparisons(api, owner, g);

    const first = new Projector(store, { stepEvents: 7, pollMs: 20, onError: (error) => console.error('projector', error) }).start();
    await first.idle();
    await first.close();
    expect(await owner((run) => run(undated, [LEDGER]))).toEqual([{ n: 0 }]);
    await comparisons(api, owner, g);

    // More writes (reversals, corrections and resolutions of the first ones among them), then a
    // new projector (a restart) resumes from the schema's progress.
    await write(api, g, 'b', OPERATIONS / 2, earlier);
    const second = new Projector(store, { stepEvents: 7, pollMs: 20, onError: (error) => console.error('projector', error) }).start();
    await second.idle();
    await second.close();
    await comparisons(api, owner, g);
    const kinds = await owner((run) => run(`select entry_kind, count(*)::int as n from reporting.postings where ledger_id = $1 group by 1 order by 1`, [LEDGER]));
    expect(kinds.map((k) => k.entry_kind)).toEqual(['capture', 'entry', 'hold', 'replacement', 'reversal']);
    const before = await owner(reportingRows);

    // Spoil what the rebuild must make again: dates.
    await owner((run) => run('delete from reporting.dates where year = 2026 and month = 3'));
    expect(await owner(reportingRows)).not.toBe(before);
    expect(await rebuildProjections(opened.database)).toBeGreaterThan(0);
    expect(await owner(reportingRows)).toBe(before);
    await comparisons(api, owner, g);
  });

  it('dates facts in the ledger\'s timezone and splits account paths into levels', async () => {
    const [fact] = await opened.database.asOwner((run) => run(
      `select f.effective_date::text, (f.effective_at at time zone 'America/New_York')::date::text as local, d.year, d.quarter, d.month, d.day, d.year_month
         from reporting.postings f join reporting.dates d on d.date = f.effective_date
        where f.ledger_id = $1 and (f.effective_at at time zone 'UTC')::date <> (f.effective_at at time zone 'America/New_York')::date limit 1`, [LEDGER]));
    expect(fact).toBeDefined();
    expect(fact!.effective_date).toBe(fact!.local);
    const [year, month, day] = String(fact!.effective_date).split('-').map(Number);
    expect(fact).toMatchObject({ year, month, day, quarter: Math.ceil(month! / 3), year_month: String(fact!.effective_date).slice(0, 7) });
    const accounts = await opened.database.asOwner((run) => run(`select account_id, type, depth, level1, level2, level3, level4 from reporting.accounts where ledger_id = $1 and account_id in ('assets:bank:checking', 'merchant') order by 1`, [LEDGER]));
    expect(accounts).toEqual([
      { account_id: 'assets:bank:checking', type: 'asset', depth: 3, level1: 'assets', level2: 'assets:bank', level3: 'assets:bank:checking', level4: null },
      { account_id: 'merchant', type: 'unclassified', depth: 1, level1: 'merchant', level2: null, level3: null, level4: null },
    ]);
    // A plain date as the API reads it: the end of that day in the ledger's timezone (EDT: UTC-4).
    const [end] = await opened.database.asOwner((run) => run(`select reporting.end_of_day($1, '2026-03-31') = '2026-04-01T03:59:59.999999Z' as ok`, [LEDGER]));
    expect(end).toEqual({ ok: true });
    // Each reversal's and replacement's original knows it, and each resolved hold its resolution.
    const [links] = await opened.database.asOwner((run) => run(`
      select count(*) filter (where n.entry_kind = 'reversal')::int as reversed,
             count(*) filter (where n.entry_kind = 'reversal' and o.reversed_by is distinct from n.transaction_id)::int as reversed_wrong,
             count(*) filter (where n.entry_kind = 'replacement')::int as corrected,
             count(*) filter (where n.entry_kind = 'replacement' and o.corrected_by is distinct from n.transaction_id)::int as corrected_wrong
        from reporting.postings n join reporting.postings o on o.ledger_id = n.ledger_id and o.transaction_id = coalesce(n.reverses, n.corrects)
       where n.ledger_id = $1`, [LEDGER]));
    expect(links).toMatchObject({ reversed_wrong: 0, corrected_wrong: 0 });
    expect(Math.min(Number(links!.reversed), Number(links!.corrected))).toBeGreaterThan(0);
    const [holds] = await opened.database.asOwner((run) => run(`
      select count(h.hold_id)::int as resolved, count(*) filter (where f.hold_resolution is distinct from h.type or f.hold_resolved_position is distinct from h.position)::int as wrong
        from reporting.postings f left join hold_resolutions h on h.ledger_id = f.ledger_id and h.hold_id = f.transaction_id
       where f.ledger_id = $1 and f.status = 'pending'`, [LEDGER]));
    expect(holds!.wrong).toBe(0);
    expect(holds!.resolved).toBeGreaterThan(0);
    // Every fact's dates are in the date dimension.
    expect(await opened.database.asOwner((run) => run(`select count(*)::int as n from reporting.postings f where not exists (select 1 from reporting.dates d where d.date = f.effective_date)
                                              or not exists (select 1 from reporting.dates d where d.date = f.recorded_date)`))).toEqual([{ n: 0 }]);
  });

  it('lets the read-only role read the schema and its functions, and nothing else', async () => {
    await opened.database.asOwner(async (run) => {
      await run('set role ledger_reporting');
      try {
        expect((await run('select count(*)::int as n from reporting.postings'))[0]!.n).toBeGreaterThan(0);
        expect((await run(`select count(*)::int as n from reporting.balances_as_of($1)`, [LEDGER]))[0]!.n).toBe(USD_ACCOUNTS.length + GOLD_ACCOUNTS.length);
        // The one-table view has every fact, with its account's key and levels.
        const [view] = await run(`select count(*)::int as n, count(*) filter (where account_key = ledger_id || '/' || account_id and level1 is not null)::int as keyed
                                    from reporting.postings_by_account where ledger_id = $1`, [LEDGER]);
        const [facts] = await run('select count(*)::int as n from reporting.postings where ledger_id = $1', [LEDGER]);
        expect(view).toEqual({ n: facts!.n, keyed: facts!.n });
        for (const refused of [
          'select * from api_keys', 'select * from events', 'select * from postings', 'select * from projector_progress',
          `insert into reporting.dates (date) values ('2020-01-01')`, 'delete from reporting.dates',
          `select reporting_fold('${LEDGER}', 1000000)`, `insert into api_keys (key_id, key_hash, name, role, ledger_ids) values ('x', 'x', 'x', 'admin', 'null')`,
        ]) {
          await expect(run(refused), refused).rejects.toThrow(/permission denied/);
        }
        // The views over the ledger's tables take no write from anyone.
        for (const refused of [`insert into reporting.ledgers values ('x', 'x', 'UTC')`, `update reporting.accounts set name = 'x'`, 'delete from reporting.postings']) {
          await expect(run(refused), refused).rejects.toThrow(/permission denied|cannot (insert into|update|delete from) view/);
        }
      } finally {
        await run('reset role');
      }
    });
    if (setup.name !== 'postgres') return;
    // As docs/reporting.md says to connect a spreadsheet: a login user in the role.
    const user = `reporting_${Math.random().toString(36).slice(2, 8)}`;
    const database = await opened.database.asOwner(async (run) => {
      await run(`create role ${user} login password 'secret' in role ledger_reporting`);
      return String((await run('select current_database() as name'))[0]!.name);
    });
    const url = new URL(process.env.DATABASE_URL!);
    Object.assign(url, { username: user, password: 'secret', pathname: `/${database}` });
    const spreadsheet = postgres(url.href, { max: 1, onnotice: () => {} });
    try {
      const [balance] = await spreadsheet`select ledger_balance::text from reporting.balances_as_of(${LEDGER}) where account_id = 'assets:bank:checking'`;
      const answer = await api.call('GET', `/v1/ledgers/${LEDGER}/accounts/assets:bank:checking/balance`);
      expect(new Decimal(String(balance!.ledger_balance)).eq(new Decimal(String(answer.body.ledgerBalance)))).toBe(true);
      await expect(spreadsheet`select * from api_keys`).rejects.toThrow(/permission denied/);
      await expect(spreadsheet`insert into reporting.dates (date) values ('2020-01-01')`).rejects.toThrow(/permission denied/);
    } finally {
      await spreadsheet.end();
      await opened.database.asOwner((run) => run(`drop role ${user}`));
    }
  });
});

