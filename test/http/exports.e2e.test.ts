import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveAsOf, type AsOf } from '../../src/app/as-of.ts';
import { beancountAccount, beancountComponent } from '../../src/app/exports/beancount-names.ts';
import { generalLedgerCsv, generalLedgerTable } from '../../src/app/exports/general-ledger.ts';
import type { LedgerStore } from '../../src/app/ports.ts';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { createApp } from '../../src/adapters/http/app.ts';
import { createApiKey } from '../../src/app/api-keys.ts';
import { GroupCommitter } from '../../src/app/group-commit.ts';
import { Decimal } from '../../src/domain/money.ts';
import { isRejection } from '../../src/domain/rejection.ts';
import { describeOnEachDatabase, type Json, type TestApi } from '../support/http.ts';

// Spec section 11's exports, re-read and compared with the API to the last digit: the general
// ledger as CSV (parsed) and XLSX (opened with exceljs), the trial balance and balance sheet, and
// the Beancount journal checked by the real bean-check and summed by the real bean-query (the
// Debian package), at the head, at an earlier recorded position and at an effective date.

const run = promisify(execFile);
const beanCheck = spawnSync('bean-check', ['--version'], { encoding: 'utf8' });
const haveBeancount = beanCheck.status === 0;
const PRECISE = new URL('../../scripts/bean-precise.py', import.meta.url).pathname;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ledger-exports-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const ACCOUNTS = [
  { id: 'assets:bank', normalBalance: 'debit', currency: 'USD', type: 'asset', name: 'Bank, "main"' },
  { id: 'assets:bank:jpy', normalBalance: 'debit', currency: 'JPY', type: 'asset' },
  { id: 'customer:42:wallet', normalBalance: 'credit', currency: 'USD', type: 'liability' },
  { id: 'Merchant_A', normalBalance: 'credit', currency: 'USD', type: 'income' },
  { id: 'income:fx', normalBalance: 'credit', currency: 'JPY', type: 'income' },
  { id: 'expenses:fees', normalBalance: 'debit', currency: 'USD', type: 'expense' },
  { id: 'suspense::jpy', normalBalance: 'credit', currency: 'JPY' },
  { id: 'points:pool', normalBalance: 'debit', currency: 'PTS_', type: 'asset' },
  { id: 'points:alice:', normalBalance: 'credit', currency: 'PTS_' },
] as const;

const BIG = '123456789012345678901234567890.123456789012345678';

function tx(id: string, effectiveAt: string, postings: [string, 'debit' | 'credit', string][], extra: Json = {}): Json {
  return { id, effectiveAt, postings: postings.map(([accountId, direction, amount]) => ({ accountId, direction, amount })), ...extra };
}

/** RFC 4180 records (CRLF line ends, quoted fields with doubled quotes). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      record.push(field);
      field = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      records.push([...record, field]);
      record = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  expect(field + record.join(''), 'the text ends with CRLF').toBe('');
  return records;
}

/** Rows as objects keyed by the header. */
function objects(records: string[][]): Record<string, string>[] {
  const [header, ...rows] = records;
  return rows.map((row) => Object.fromEntries(header!.map((name, i) => [name, row[i]!])));
}

describeOnEachDatabase('exports', (api: TestApi) => {
  let ledgerId: string;
  let cutPosition: number;

  const base = () => `/v1/ledgers/${ledgerId}`;
  const write = async (path: string, body: Json) => {
    const answer = await api.call('POST', `${base()}${path}`, { body });
    expect(answer.status, answer.text).toBe(201);
    return answer.body;
  };
  const download = async (path: string): Promise<Response> => {
    const response = await api.app.request(`${base()}/exports/${path}`, { headers: { Authorization: `Bearer ${api.adminKey}` } });
    expect(response.status).toBe(200);
    return response;
  };
  const balanceOf = async (accountId: string, query: string) => {
    const answer = await api.call('GET', `${base()}/accounts/${encodeURIComponent(accountId)}/balance?${query}`);
    expect(answer.status, answer.text).toBe(200);
    return answer.body.ledgerBalance as string;
  };

  beforeAll(async () => {
    ledgerId = await api.seedLedger({ timezone: 'Pacific/Auckland', accounts: [] });
    await write('/assets', { code: 'PTS_', scale: 18 });
    for (const account of ACCOUNTS) await write('/accounts', account);
    await write('/transactions', tx('dep-1', '2024-03-01T20:00:00Z', [['assets:bank', 'debit', '1000.00'], ['customer:42:wallet', 'credit', '1000.00']], { description: 'Opening "deposit", branch 7' }));
    await write('/transactions', tx('dep-2', '2024-03-05T01:00:00+13:00', [['assets:bank', 'debit', '250.50'], ['customer:42:wallet', 'credit', '250.50']]));
    await write('/transactions', tx('jpy-1', '2024-04-01', [['assets:bank:jpy', 'debit', '15000'], ['income:fx', 'credit', '15000']]));
    await write('/transactions', tx('sale-1', '2024-04-20T11:59:59.999999Z', [
      ['assets:bank:jpy', 'debit', '700'], ['suspense::jpy', 'credit', '700'], ['customer:42:wallet', 'debit', '7.25'], ['Merchant_A', 'credit', '7.25'],
    ]));
    cutPosition = (await write('/transactions', tx('fee-1', '2024-05-01T00:00:00Z', [['expenses:fees', 'debit', '1.10'], ['assets:bank', 'credit', '1.10']]))).position;
    await write('/transactions', tx('pts-1', '2024-06-01T00:00:00Z', [['points:pool', 'debit', BIG], ['points:alice:', 'credit', BIG]]));
    await write('/transactions', tx('card-1', '2024-05-10T23:30:00Z', [['customer:42:wallet', 'debit', '300.00'], ['Merchant_A', 'credit', '300.00']], { status: 'pending' }));
    await write('/transactions/card-1/post', {
      effectiveAt: '2024-05-12T08:00:00Z', id: 'cap-1',
      postings: [{ accountId: 'customer:42:wallet', direction: 'debit', amount: '120.00' }, { accountId: 'Merchant_A', direction: 'credit', amount: '120.00' }],
    });
    await write('/transactions/dep-2/reverse', { reason: 'duplicate', id: 'dep-2-rev' });
    await write('/transactions/jpy-1/correct', {
      reason: 'rate was wrong', effectiveAt: '2024-04-10',
      replacement: tx('jpy-1b', '2024-04-10', [['assets:bank:jpy', 'debit', '12000'], ['income:fx', 'credit', '12000']]),
    });
    // Backdated: recorded last, effective before everything else.
    await write('/transactions', tx('back-1', '2024-01-15T00:00:00Z', [['assets:bank', 'debit', '0.01'], ['customer:42:wallet', 'credit', '0.01']]));
  });

  /** The coordinates each check runs at: the head, an earlier position, and an effective date. */
  const POINTS = () => [
    { query: '', label: 'the head' },
    { query: `recordedAsOfPosition=${cutPosition}`, label: 'an earlier position' },
    { query: 'effectiveAsOf=2024-04-30', label: 'an effective date' },
  ];

  /** Each account's last running balance and its postings, from the general ledger's rows. */
  function lastRunning(rows: Record<string, string>[]): Map<string, { running: string; sum: Decimal; count: number }> {
    const byAccount = new Map<string, { running: string; sum: Decimal; count: number }>();
    for (const row of rows) {
      const known = byAccount.get(row.accountId!) ?? { running: '', sum: new Decimal(0), count: 0 };
      const signed = row.direction === row.normalBalance ? new Decimal(row.amount!) : new Decimal(row.amount!).negated();
      byAccount.set(row.accountId!, { running: row.runningBalance!, sum: known.sum.plus(signed), count: known.count + 1 });
    }
    return byAccount;
  }

  it('general-ledger.csv: each account\'s running balance ends at the API\'s ledger balance, to the last digit', async () => {
    for (const { query, label } of POINTS()) {
      const response = await download(`general-ledger.csv?${query}`);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toMatch(new RegExp(`^attachment; filename="${ledgerId}-general-ledger-\\d+\\.csv"$`));
      const rows = objects(parseCsv(await response.text()));
      const byAccount = lastRunning(rows);
      for (const account of ACCOUNTS) {
        const expected = await balanceOf(account.id, query);
        const got = byAccount.get(account.id);
        expect(got?.running ?? new Decimal(0).toFixed(expected.split('.')[1]?.length ?? 0), `${account.id} at ${label}`).toBe(expected);
        if (got) expect(got.sum.toString(), `${account.id} at ${label}`).toBe(new Decimal(expected).toString());
      }
      if (query === '') {
        expect(rows.find((r) => r.accountId === 'points:pool')?.amount).toBe(BIG);
        // The backdated entry comes first in its account, whatever its position.
        expect(rows.find((r) => r.accountId === 'assets:bank')).toMatchObject({ transactionId: 'back-1', effectiveAt: '2024-01-15T00:00:00.000000Z', runningBalance: '0.01' });
        expect(rows.filter((r) => r.transactionId === 'dep-2-rev').map((r) => r.direction).sort()).toEqual(['credit', 'debit']);
      }
    }
  });

  it('general-ledger.xlsx holds the CSV\'s cells as text, each amount beside its number', async () => {
    const csv = parseCsv(await (await download('general-ledger.csv')).text());
    const response = await download('general-ledger.xlsx');
    expect(response.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await response.arrayBuffer());
    const sheet = workbook.getWorksheet('General ledger')!;
    const cells: unknown[][] = [];
    sheet.eachRow((row) => cells.push((row.values as unknown[]).slice(1)));
    const header = cells[0] as string[];
    expect(header).toEqual([...csv[0]!.slice(0, 11), 'amount (number)', 'runningBalance', 'runningBalance (number)']);
    expect(cells.length).toBe(csv.length);
    for (const [i, row] of cells.slice(1).entries()) {
      const expected = csv[i + 1]!;
      const [amountText, amountNumber, runningText, runningNumber] = row.slice(10) as [string, number, string, number];
      expect(row.slice(0, 6)).toEqual(expected.slice(0, 6));
      expect(row.slice(6, 8)).toEqual([Number(expected[6]), Number(expected[7])]);
      expect([row[8], row[9], amountText, runningText]).toEqual([expected[8], expected[9], expected[10], expected[11]]);
      expect([amountNumber, runningNumber]).toEqual([Number(expected[10]), Number(expected[11])]);
    }
  });

  it('trial-balance and balance-sheet (CSV and XLSX) give the API\'s balances, and balance per currency', async () => {
    for (const { query, label } of POINTS()) {
      const rows = objects(parseCsv(await (await download(`trial-balance.csv?${query}`)).text()));
      for (const account of ACCOUNTS) {
        const row = rows.find((r) => r.accountId === account.id)!;
        const net = new Decimal(row.debit!).minus(row.credit!);
        const expected = new Decimal(await balanceOf(account.id, query));
        expect(net.toString(), `${account.id} at ${label}`).toBe((account.normalBalance === 'debit' ? expected : expected.negated()).toString());
      }
      for (const total of rows.filter((r) => r.accountId === '')) expect(total.debit, `${total.currency} at ${label}`).toBe(total.credit);
      const sheet = objects(parseCsv(await (await download(`balance-sheet.csv?${query}`)).text()));
      for (const account of ACCOUNTS) expect(sheet.find((r) => r.accountId === account.id)?.amount).toBe(await balanceOf(account.id, query));
      for (const currency of new Set(sheet.filter((r) => r.accountId === '').map((r) => r.currency))) {
        const figure = (name: string) => new Decimal(sheet.find((r) => r.accountId === '' && r.currency === currency && r.section === name)!.amount!);
        expect(figure('assets').plus(figure('unclassified')).toString()).toBe(figure('liabilities').plus(figure('equity')).plus(figure('currentEarnings')).toString());
      }
    }
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await (await download('trial-balance.xlsx')).arrayBuffer());
    const pool = workbook.getWorksheet('Trial balance')!.getRows(2, 20)!.find((r) => r.getCell(1).value === 'points:pool')!;
    expect([pool.getCell(6).value, pool.getCell(8).value]).toEqual([BIG, '0.000000000000000000']);
  });

  it('income-statement (CSV and XLSX): each account\'s change over the period, as known at R, and net income', async () => {
    for (const recorded of ['', `&recordedAsOfPosition=${cutPosition}`]) {
      const rows = objects(parseCsv(await (await download(`income-statement.csv?effectiveFrom=2024-04-01&effectiveTo=2024-05-31${recorded}`)).text()));
      for (const account of ACCOUNTS.filter((a) => 'type' in a && (a.type === 'income' || a.type === 'expense'))) {
        const change = new Decimal(await balanceOf(account.id, `effectiveAsOf=2024-05-31${recorded}`)).minus(await balanceOf(account.id, `effectiveAsOf=2024-03-31${recorded}`));
        expect(new Decimal(rows.find((r) => r.accountId === account.id)!.amount!).toString(), `${account.id}${recorded}`).toBe(change.toString());
      }
      const figure = (currency: string, name: string) => new Decimal(rows.find((r) => r.accountId === '' && r.currency === currency && r.section === name)!.amount!);
      expect(figure('USD', 'netIncome').toString()).toBe(figure('USD', 'income').minus(figure('USD', 'expenses')).toString());
    }
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(await (await download('income-statement.xlsx?effectiveFrom=2024-01-01')).arrayBuffer());
    expect(workbook.getWorksheet('Income statement')!.getRow(1).values).toEqual([undefined, 'section', 'accountId', 'name', 'accountType', 'normalBalance', 'currency', 'amount', 'amount (number)']);
    expect((await api.call('GET', `${base()}/exports/income-statement.csv?effectiveFrom=2024-06-01&effectiveTo=2024-05-01`)).status).toBe(400);
    expect((await api.call('GET', `${base()}/exports/income-statement.csv`)).status).toBe(400);
  });

  it('answers a bad coordinate with a problem and a ledger it does not know with 404, before any byte of a file', async () => {
    const bad = await api.call('GET', `${base()}/exports/general-ledger.csv?recordedAsOfPosition=999999`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await api.call('GET', '/v1/ledgers/no-such-ledger/exports/beancount')).status).toBe(404);
    expect((await api.call('GET', `${base()}/exports/trial-balance.xlsx?limit=3`)).status).toBe(400);
  });

  describe.skipIf(!haveBeancount)('the Beancount journal, checked by bean-check and summed by bean-query', () => {
    const journal = async (query: string, name: string) => {
      const text = await (await download(`beancount?${query}`)).text();
      const file = join(dir, `${ledgerId}-${name}.beancount`);
      await writeFile(file, text);
      return { file, text };
    };

    /** bean-query's sum per account of the entries dated before `date` (the wide-context runner: sums reach 48 digits). */
    async function beanSums(file: string, date: string): Promise<Map<string, Decimal>> {
      const { stdout } = await run('/usr/bin/python3', [PRECISE, 'query', '-f', 'csv', file, `SELECT account, str(sum(number)) AS n WHERE date < ${date} GROUP BY account`]);
      return new Map(stdout.trim().split('\n').slice(1).map((line) => {
        // str() of a Python Decimal: Decimal('...'), exact (the sum's own rendering is rounded to the file's usual digits).
        const [account, n] = line.split(',').map((s) => s.trim());
        return [account!, new Decimal(/^Decimal\('(.*)'\)$/.exec(n!)![1]!)];
      }));
    }

    it('passes bean-check (the Debian bean-check where amounts fit its 28 digits), names and links the entries', async () => {
      const cut = await journal(`recordedAsOfPosition=${cutPosition}`, 'cut');
      await run('bean-check', [cut.file]);
      const head = await journal('', 'head');
      await run('/usr/bin/python3', [PRECISE, 'check', head.file]);
      // bean-check itself rounds the 48-digit amounts to 28 and says so: the reason for the wide-context runner.
      await expect(run('bean-check', [head.file])).rejects.toMatchObject({ stderr: expect.stringContaining('Points:Pool') });
      expect(head.text).toContain('open Liabilities:Customer:42:Wallet USD');
      expect(head.text).toContain('open Income:Merchant-5FA- USD');
      expect(head.text).toContain('open Liabilities:Unclassified:Suspense:X-x:Jpy JPY');
      expect(head.text).toContain('open Liabilities:Unclassified:Points:Alice:X-x PTS_-0');
      expect(head.text).toMatch(/^2024-03-02 \* "Opening \\"deposit\\", branch 7" \^dep-1\n {2}transactionId: "dep-1"\n {2}position: \d+\n {2}recordedAt: "\S+Z"\n {2}effectiveAt: "2024-03-01T20:00:00.000000Z"$/m);
      expect(head.text).toMatch(/^2024-03-05 \* ".*" #reversal \^dep-2-rev \^dep-2\n/m);
      expect(head.text).toMatch(/^2024-04-10 \* ".*" #correction \^jpy-1b \^jpy-1\n/m);
      expect(head.text).toMatch(new RegExp(`^ {2}Assets:Points:Pool {2}${BIG.replace('.', '\\.')} PTS_-0$`, 'm'));
      expect(head.text).toMatch(/^2024-06-01 balance Assets:Assets:Bank {2}\d+\.\d{2} USD$/m);
    });

    it('gives every account the service\'s ledger balance at every month end and at E, at each (R, E)', async () => {
      for (const { query, label } of POINTS()) {
        const { file, text } = await journal(query, 'points');
        await run('/usr/bin/python3', [PRECISE, 'check', file]);
        const dates = [...new Set([...text.matchAll(/^(\d{4}-\d{2}-\d{2}) balance /gm)].map((m) => m[1]!))];
        expect(dates.length, label).toBeGreaterThan(1);
        for (const date of [dates[0]!, dates.at(-1)!]) {
          const sums = await beanSums(file, date);
          const params = new URLSearchParams(query);
          if (date !== dates.at(-1)) params.set('effectiveAsOf', new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10));
          for (const account of ACCOUNTS) {
            const expected = new Decimal(await balanceOf(account.id, params.toString()));
            const bean = sums.get(beancountAccount(account.id, 'type' in account ? account.type : null, account.normalBalance)) ?? new Decimal(0);
            expect((account.normalBalance === 'debit' ? bean : bean.negated()).toString(), `${account.id} before ${date} at ${label}`).toBe(expected.toString());
          }
        }
      }
    });
  });

  it('reads the general ledger a page at a time, at most one page ahead of the reader', async () => {
    const store = createLedgerStore(api.database.db);
    const calls: number[] = [];
    const counting: LedgerStore = { ...store, generalLedger: (...args) => (calls.push(args[4]), store.generalLedger(...args)) };
    const asOf = await resolveAsOf(store, ledgerId, 'UTC', {});
    if (isRejection(asOf)) throw new Error(asOf.detail);
    const table = await generalLedgerTable(counting, ledgerId, asOf as AsOf, 4);
    const pages = table.pages[Symbol.asyncIterator]();
    await pages.next();
    // The first page, and the next one read while the first is written: no further.
    expect(calls).toEqual([4, 4]);
    let rows = 4;
    for (let next = await pages.next(); !next.done; next = await pages.next()) rows += next.value.length;
    expect(rows).toBe(table.size);
    expect(calls.length).toBe(Math.floor(table.size! / 4) + 1);
    expect(calls.every((limit) => limit === 4)).toBe(true);
  });

  it('aborts the body, and logs why, when the store fails after the first byte', async () => {
    const store = createLedgerStore(api.database.db);
    // The header is written before the first page is read: the page's failure comes after the first byte.
    const failing: LedgerStore = { ...store, generalLedgerCsv: () => Promise.reject(new Error('the database went away')) };
    const logged: unknown[] = [];
    const app = createApp({ store: failing, committer: new GroupCommitter(failing), logger: { info: () => {}, warn: () => {}, error: (line) => logged.push(line) } });
    const { key } = await createApiKey(store, { name: 'failing export', role: 'reader', ledgerIds: [ledgerId] });
    const response = await app.request(`${base()}/exports/general-ledger.csv`, { headers: { Authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow('the database went away');
    expect(logged).toEqual([expect.objectContaining({ msg: 'export aborted', error: 'Error: the database went away' })]);
  });

  it('writes the same CSV a posting a page as in one page: the running balance carries across pages', async () => {
    const store = createLedgerStore(api.database.db);
    const asOf = await resolveAsOf(store, ledgerId, 'UTC', {});
    if (isRejection(asOf)) throw new Error(asOf.detail);
    const text = async (pageSize: number) => {
      let all = '';
      for await (const chunk of generalLedgerCsv(store, ledgerId, asOf as AsOf, undefined, pageSize)) all += chunk;
      return all;
    };
    const whole = await text(5000);
    expect(parseCsv(whole).length).toBeGreaterThan(20);
    expect(await text(1)).toBe(whole);
    expect(await text(3)).toBe(whole);
    expect(whole).toBe(await (await download('general-ledger.csv')).text());
  });
});

describe('Beancount names', () => {
  it('are valid Beancount components and distinct for distinct ids', () => {
    const ids = ['bank', 'Bank', 'BANK', 'b_ank', 'b-ank', 'b.ank', '2024', '_x', 'X-5Fx-x', 'x', 'X', '', 'unclassified', 'Unclassified'];
    const names = ids.map((id) => beancountComponent(id));
    expect(new Set(names).size).toBe(ids.length);
    for (const name of names) expect(name).toMatch(/^[A-Z0-9][A-Za-z0-9-]*$/);
    expect(names.slice(0, 8)).toEqual(['Bank', 'Bank-', 'BANK-', 'B-5Fank', 'B-2Dank', 'B-2Eank', '2024', 'X-5Fx-x']);
    expect(beancountAccount('unclassified:bank', 'asset', 'debit')).not.toBe(beancountAccount('bank', null, 'debit'));
  });
});
