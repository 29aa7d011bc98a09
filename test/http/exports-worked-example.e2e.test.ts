import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { Decimal } from '../../src/domain/money.ts';
import { describeOnEachDatabase, type Json } from '../support/http.ts';

// Issue 17's acceptance for the exports: the worked example of spec section 13, with typed
// accounts, gives the same balance sheet and income statement from the API (.../reports), from
// the XLSX exports (opened with exceljs), from the Beancount export (summed by the real
// bean-query, root by root) and from the star schema (docs/reporting.md: folded by the projector's
// steps, read through its functions as the read-only role ledger_reporting, as a BI tool does),
// at the five (R, E) pairs of its table. Dated in 2099, so that every
// entry is recorded before it takes effect, as the service records at its own clock.

const run = promisify(execFile);
const haveBeancount = spawnSync('bean-query', ['--version'], { encoding: 'utf8' }).status === 0;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ledger-worked-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const Y = '2099';
const USD = (id: string, normalBalance: 'debit' | 'credit', type?: string) => ({ id, normalBalance, currency: 'USD', ...(type ? { type } : {}) });
const CHART = [
  USD('bank', 'debit', 'asset'), USD('alice', 'credit', 'liability'), USD('merchant', 'credit', 'liability'), USD('owner', 'credit', 'equity'),
  USD('fees', 'credit', 'income'), USD('charges', 'debit', 'expense'), USD('suspense', 'credit'),
];

/** [id, debit, credit, amount, effective day-time]: section 13's entries with a capital, a fee, a charge and an unplaced receipt. */
const ENTRIES: readonly (readonly [string, string, string, string, string])[] = [
  ['capital', 'bank', 'owner', '5000.00', '03-01T09:00'],
  ['dep-1', 'bank', 'alice', '10000.00', '03-01T10:00'],
  ['rent-march', 'alice', 'merchant', '1000.00', '03-10T00:00'],
  ['fee-march', 'merchant', 'fees', '30.00', '03-03T00:00'],
];
const LATER: readonly (readonly [string, string, string, string, string])[] = [
  ['charge', 'charges', 'bank', '12.00', '03-02T00:00'],
  ['unplaced', 'bank', 'suspense', '7.00', '03-05T00:00'],
];

const body = ([id, debit, credit, amount, at]: readonly string[]) => ({
  id, effectiveAt: `${Y}-${at}:00Z`, postings: [{ accountId: debit, direction: 'debit', amount }, { accountId: credit, direction: 'credit', amount }],
});

describeOnEachDatabase('the worked example through the exports', (api) => {
  let ledgerId: string;
  let path: string;
  let knownFirst: number;
  let knownLast: number;

  const ok = async (method: string, suffix: string, payload?: Json) => {
    const answer = await api.call(method, `${path}${suffix}`, payload === undefined ? {} : { body: payload });
    expect(answer.status, answer.text).toBeLessThan(300);
    return answer.body;
  };
  const file = async (suffix: string) => {
    const response = await api.app.request(`${path}/exports/${suffix}`, { headers: { Authorization: `Bearer ${api.adminKey}` } });
    expect(response.status).toBe(200);
    return response;
  };

  beforeAll(async () => {
    ledgerId = await api.seedLedger({ timezone: 'UTC', accounts: CHART });
    path = `/v1/ledgers/${ledgerId}`;
    await ok('POST', '/transactions', { ...body(['card-1', 'alice', 'merchant', '300.00', '03-02T09:00']), status: 'pending', expiresAt: `${Y}-03-09T00:00:00Z` });
    for (const entry of ENTRIES) await ok('POST', '/transactions', body(entry));
    knownFirst = (await ok('GET', '')).head;
    await ok('POST', '/transactions/dep-1/correct', { reason: 'should have been 1,000', replacement: body(['dep-1b', 'bank', 'alice', '1000.00', '03-01T10:00']) });
    await ok('POST', '/transactions/card-1/post', { effectiveAt: `${Y}-03-06T08:00:00Z`, postings: body(['', 'alice', 'merchant', '250.00', '']).postings });
    for (const entry of LATER) await ok('POST', '/transactions', body(entry));
    knownLast = (await ok('GET', '')).head;
  });

  /** The five (R, E) pairs of section 13's table. */
  const PAIRS = () => [[knownFirst, '03-04'], [knownFirst, '03-12'], [knownLast, '03-04'], [knownLast, '03-07'], [knownLast, '03-12']] as const;
  const query = (position: number, day: string) => `recordedAsOfPosition=${position}&effectiveAsOf=${Y}-${day}T00:00:00Z`;

  /** The figure rows of a statement's sheet (accountId empty): figure -> amount text. */
  async function sheetFigures(suffix: string, sheetName: string): Promise<Record<string, string>> {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await (await file(suffix)).arrayBuffer());
    const figures: Record<string, string> = {};
    workbook.getWorksheet(sheetName)!.eachRow((row, n) => {
      if (n > 1 && !row.getCell(2).value) figures[row.getCell(1).value as string] = row.getCell(7).value as string;
    });
    return figures;
  }

  it('balance-sheet.xlsx gives the API\'s balance sheet figures at the five (R, E) pairs', async () => {
    for (const [position, day] of PAIRS()) {
      const [api] = (await ok('GET', `/reports/balance-sheet?${query(position, day)}`)).totals as Json[];
      const { currency: _, ...figures } = api!;
      expect(await sheetFigures(`balance-sheet.xlsx?${query(position, day)}`, 'Balance sheet'), `${position} ${day}`).toEqual(figures);
    }
  });

  it('income-statement.xlsx gives the API\'s income statement for March as known at both times', async () => {
    for (const [position, day] of PAIRS()) {
      const period = `recordedAsOfPosition=${position}&effectiveFrom=${Y}-03-01&effectiveTo=${Y}-${day}T00:00:00Z`;
      const [api] = (await ok('GET', `/reports/income-statement?${period}`)).totals as Json[];
      const { currency: _, ...figures } = api!;
      expect(await sheetFigures(`income-statement.xlsx?${period}`, 'Income statement'), `${position} ${day}`).toEqual(figures);
    }
  });

  describe.skipIf(!haveBeancount)('the Beancount journal, summed by bean-query root by root', () => {
    /** bean-query's debits-minus-credits per root (untyped accounts apart) of the journal at (R, E). */
    async function beanRoots(position: number, day: string): Promise<Map<string, Decimal>> {
      const journal = join(dir, `worked-${position}-${day}.beancount`);
      await writeFile(journal, await (await file(`beancount?${query(position, day)}`)).text());
      await run('bean-check', [journal]);
      const { stdout } = await run('bean-query', ['-f', 'csv', journal, 'SELECT account, str(sum(number)) AS n GROUP BY account']);
      const roots = new Map<string, Decimal>();
      for (const line of stdout.trim().split('\n').slice(1)) {
        const [account, n] = line.split(',').map((s) => s.trim());
        const root = account!.includes(':Unclassified:') ? 'Unclassified' : account!.split(':')[0]!;
        roots.set(root, (roots.get(root) ?? new Decimal(0)).plus(/^Decimal\('(.*)'\)$/.exec(n!)![1]!));
      }
      return roots;
    }
    const root = (roots: Map<string, Decimal>, name: string) => roots.get(name) ?? new Decimal(0);
    /** Credits minus debits (never a negative zero). */
    const turned = (sum: Decimal) => new Decimal(0).minus(sum).toFixed(2);

    it('gives the balance sheet, and March\'s income statement, at the five (R, E) pairs', async () => {
      for (const [position, day] of PAIRS()) {
        const [sheet] = (await ok('GET', `/reports/balance-sheet?${query(position, day)}`)).totals as Json[];
        const [statement] = (await ok('GET', `/reports/income-statement?recordedAsOfPosition=${position}&effectiveFrom=${Y}-03-01&effectiveTo=${Y}-${day}T00:00:00Z`)).totals as Json[];
        // Every entry is effective in March: the journal's income and expense sums are March's.
        const roots = await beanRoots(position, day);
        // Beancount sums debits minus credits: credit-side figures are its sums with the sign turned.
        expect({
          assets: root(roots, 'Assets').toFixed(2), liabilities: turned(root(roots, 'Liabilities')), equity: turned(root(roots, 'Equity')),
          currentEarnings: turned(root(roots, 'Income').plus(root(roots, 'Expenses'))), unclassified: root(roots, 'Unclassified').toFixed(2),
          income: turned(root(roots, 'Income')), expenses: root(roots, 'Expenses').toFixed(2),
        }, `${position} ${day}`).toEqual({
          assets: sheet!.assets, liabilities: sheet!.liabilities, equity: sheet!.equity, currentEarnings: sheet!.currentEarnings, unclassified: sheet!.unclassified,
          income: statement!.income, expenses: statement!.expenses,
        });
      }
    });
  });

  describe('the star schema, read as ledger_reporting', () => {
    beforeAll(async () => {
      // The projector's steps for this ledger (ledger_project adds the dates of the same events to
      // the schema's date dimension with reporting_fold) until its head; null: another session holds the ledger's step.
      const store = createLedgerStore(api.database.db);
      for (let reached = 0; reached < knownLast;) {
        const step = await store.project(ledgerId, 1_000);
        if (step === null) await new Promise((resolve) => setTimeout(resolve, 20));
        else reached = step;
      }
    });

    /** Rows of `sql` read as the BI tools' read-only role, with the role it ran as. */
    const asReporting = (sql: string, parameters: readonly unknown[]) => api.database.asOwner(async (run) => {
      await run('set role ledger_reporting');
      try {
        return await run(sql, parameters);
      } finally {
        await run('reset role');
      }
    });
    /** Per currency, each type's sum of `column` in `rows` (exact, from numeric text). */
    const byType = (rows: Record<string, unknown>[], column: string) => {
      const sums = new Map<string, Map<string, Decimal>>();
      for (const row of rows) {
        expect(row.reader).toBe('ledger_reporting');
        const currency = String(row.currency);
        sums.set(currency, (sums.get(currency) ?? new Map()).set(String(row.type), new Decimal(String(row[column]))));
      }
      return (currency: string, type: string) => sums.get(currency)?.get(type) ?? new Decimal(0);
    };
    /** Figures as values: equal to the last digit whatever the scale a side writes them with. */
    const exact = (figures: Json) => Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, k === 'currency' ? v : new Decimal(String(v)).toFixed()]));

    // Each account's balance at (R, E), grouped by type: as docs/reporting.md's balance sheet.
    const BALANCES = `
      select current_user::text as reader, currency, type, sum(ledger_balance)::text as balance, sum(posted_debits - posted_credits)::text as net_debit
        from reporting.balances_as_of($1, effective_as_of => $2::timestamptz, recorded_as_of_position => $3::bigint)
       group by currency, type order by currency, type`;
    // The income and expense facts known at R, effective in [from, E]: the period's change by type.
    const PERIOD = `
      select current_user::text as reader, p.currency, a.type, sum(p.signed_amount)::text as change
        from reporting.postings_as_of($1, effective_as_of => $3::timestamptz, recorded_as_of_position => $4::bigint) p
        join reporting.accounts a on a.ledger_id = p.ledger_id and a.account_id = p.account_id
       where p.status = 'posted' and p.effective_at >= $2::timestamptz and a.type in ('income', 'expense')
       group by p.currency, a.type`;

    it('gives the API\'s balance sheet and income statements at the five (R, E) pairs', async () => {
      for (const [position, day] of PAIRS()) {
        const effectiveAsOf = `${Y}-${day}T00:00:00Z`;
        const sheets = (await ok('GET', `/reports/balance-sheet?${query(position, day)}`)).totals as Json[];
        const balances = await asReporting(BALANCES, [ledgerId, effectiveAsOf, position]);
        const balance = byType(balances, 'balance');
        const netDebit = byType(balances, 'net_debit');
        expect([...new Set(balances.map((row) => row.currency))], `${position} ${day}`).toEqual(sheets.map((t) => t.currency));
        expect(sheets.map((t) => exact({
          currency: t.currency, assets: balance(t.currency, 'asset'), liabilities: balance(t.currency, 'liability'), equity: balance(t.currency, 'equity'),
          currentEarnings: balance(t.currency, 'income').minus(balance(t.currency, 'expense')), unclassified: netDebit(t.currency, 'unclassified'),
        })), `balance sheet ${position} ${day}`).toEqual(sheets.map(exact));

        // March, and a period from the fee's effective time (inclusive) that leaves out the charge of 03-02.
        for (const from of ['03-01', '03-03']) {
          const statements = (await ok('GET', `/reports/income-statement?recordedAsOfPosition=${position}&effectiveFrom=${Y}-${from}&effectiveTo=${effectiveAsOf}`)).totals as Json[];
          const change = byType(await asReporting(PERIOD, [ledgerId, `${Y}-${from}T00:00:00Z`, effectiveAsOf, position]), 'change');
          expect(statements.map((t) => exact({
            currency: t.currency, income: change(t.currency, 'income'), expenses: change(t.currency, 'expense'),
            netIncome: change(t.currency, 'income').minus(change(t.currency, 'expense')),
          })), `income statement from ${from}, ${position} ${day}`).toEqual(statements.map(exact));
        }
      }
    });
  });
});
