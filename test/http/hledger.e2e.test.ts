import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hledgerJournal, hledgerName } from '../../src/app/hledger.ts';
import type { LedgerEvent, RecordedEvent } from '../../src/domain/events.ts';
import { Decimal } from '../../src/domain/money.ts';
import { addDays } from '../../src/domain/time.ts';
import { accountOpened, at, credit, debit, holdPosted, ledgerCreated, transactionRecorded } from '../support/decider.ts';
import { describeOnEachDatabase, type Json, type TestApi } from '../support/http.ts';

// The hledger export (src/app/hledger.ts, scripts/export-hledger.ts) checked by the real hledger
// (the Debian package, 1.25): a ledger built through the API is exported from its feed, turned
// into a journal by the script, and every account's `hledger bal` at several end dates must be
// the service's ledgerBalance at the same effective date, as of the head and as of a position.

const ROOT = new URL('../../', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');
const run = promisify(execFile);

const hledgerVersion = spawnSync('hledger', ['--version'], { encoding: 'utf8' });
const haveHledger = hledgerVersion.status === 0;
const HLEDGER_TITLE = haveHledger ? `(${hledgerVersion.stdout.trim()})` : '(skipped: no hledger on PATH; apt-get install hledger)';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ledger-hledger-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs scripts/export-hledger.ts; the exit code, stdout and stderr, whatever the outcome. */
async function exportHledger(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(NODE, ['scripts/export-hledger.ts', ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Rows of hledger's CSV output (every field quoted, `""` inside a field). */
function csvRows(text: string): string[][] {
  return text.trim().split('\n').map((line) => [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1]!.replaceAll('""', '"')));
}

/** `hledger bal` of every account before `endDate` (exclusive): hledger name -> commodity -> debits minus credits. */
async function hledgerBalances(journal: string, endDate: string): Promise<Map<string, Map<string, Decimal>>> {
  const { stdout } = await run('hledger', ['-f', journal, 'bal', '-E', '-N', '-O', 'csv', '--layout=bare', '-e', endDate]);
  const [header, ...rows] = csvRows(stdout);
  expect(header).toEqual(['account', 'commodity', 'balance']);
  const balances = new Map<string, Map<string, Decimal>>();
  for (const [account, commodity, balance] of rows) {
    const byCommodity = balances.get(account!) ?? new Map<string, Decimal>();
    byCommodity.set(commodity!, new Decimal(balance!));
    balances.set(account!, byCommodity);
  }
  return balances;
}

const ACCOUNTS = [
  { id: 'assets:bank', normalBalance: 'debit', currency: 'USD', name: 'Bank; main\naccount' },
  { id: 'assets:bank:jpy', normalBalance: 'debit', currency: 'JPY' },
  { id: 'customer:42:wallet', normalBalance: 'credit', currency: 'USD' },
  { id: 'merchant', normalBalance: 'credit', currency: 'USD' },
  { id: 'income:fx', normalBalance: 'credit', currency: 'JPY' },
  { id: 'suspense::jpy', normalBalance: 'credit', currency: 'JPY' },
  { id: 'points:pool', normalBalance: 'debit', currency: 'PTS1' },
  { id: 'points:alice:', normalBalance: 'credit', currency: 'PTS1' },
] as const;

const BIG = '123456789012345678901234567890.123456789012345678';

function tx(id: string, effectiveAt: string, postings: [string, 'debit' | 'credit', string][], extra: Json = {}): Json {
  return { id, effectiveAt, postings: postings.map(([accountId, direction, amount]) => ({ accountId, direction, amount })), ...extra };
}

describe.skipIf(!haveHledger)(`the hledger export, checked by hledger ${HLEDGER_TITLE}`, () => {
  describeOnEachDatabase('a ledger in Pacific/Auckland', (api: TestApi) => {
    let ledgerId: string;
    let feedFile: string;
    /** The position of the first hold, before the reversal, the correction and any capture. */
    let cutPosition: number;

    const write = async (path: string, body: Json) => {
      const answer = await api.call('POST', `/v1/ledgers/${ledgerId}${path}`, { body });
      expect(answer.status, answer.text).toBe(201);
      return answer.body;
    };

    beforeAll(async () => {
      ledgerId = await api.seedLedger({ timezone: 'Pacific/Auckland', accounts: [] });
      await write('/assets', { code: 'PTS1', scale: 18 });
      for (const account of ACCOUNTS) await write('/accounts', account);
      // 2024-03-01T20:00Z is 2024-03-02 09:00 in Auckland (UTC+13): the journal's date is the ledger's.
      await write('/transactions', tx('dep-1', '2024-03-01T20:00:00Z', [['assets:bank', 'debit', '1000.00'], ['customer:42:wallet', 'credit', '1000.00']], {
        description: '* Opening deposit; from\nbranch 7',
      }));
      await write('/transactions', tx('dep-2', '2024-03-05T01:00:00+13:00', [['assets:bank', 'debit', '250.50'], ['customer:42:wallet', 'credit', '250.50']]));
      await write('/transactions', tx('jpy-1', '2024-04-01', [['assets:bank:jpy', 'debit', '15000'], ['income:fx', 'credit', '15000']]));
      await write('/transactions', tx('mixed-1', '2024-04-20T11:59:59.999999Z', [
        ['assets:bank:jpy', 'debit', '700'], ['suspense::jpy', 'credit', '700'], ['merchant', 'debit', '7.25'], ['customer:42:wallet', 'credit', '7.25'],
      ]));
      await write('/transactions', tx('pts-1', '2024-06-01T00:00:00Z', [['points:pool', 'debit', BIG], ['points:alice:', 'credit', BIG]]));
      await write('/transactions', tx('rent-2099', '2099-01-01T00:00:00Z', [['customer:42:wallet', 'debit', '100.00'], ['merchant', 'credit', '100.00']]));
      cutPosition = (await write('/transactions', tx('card-1', '2024-05-10T23:30:00Z', [['customer:42:wallet', 'debit', '300.00'], ['merchant', 'credit', '300.00']], { status: 'pending' }))).position;
      await write('/transactions', tx('card-2', '2024-05-11T00:00:00Z', [['customer:42:wallet', 'debit', '50.00'], ['merchant', 'credit', '50.00']], { status: 'pending' }));
      await write('/transactions/card-1/post', {
        effectiveAt: '2024-05-12T08:00:00Z', id: 'cap-1',
        postings: [{ accountId: 'customer:42:wallet', direction: 'debit', amount: '120.00' }, { accountId: 'merchant', direction: 'credit', amount: '120.00' }],
      });
      await write('/transactions/card-2/void', { reason: 'customer cancelled' });
      await write('/transactions/dep-2/reverse', { reason: 'duplicate, keyed twice', id: 'dep-2-rev' });
      await write('/transactions/jpy-1/correct', {
        reason: 'rate was wrong', effectiveAt: '2024-04-10',
        replacement: tx('jpy-1b', '2024-04-10', [['assets:bank:jpy', 'debit', '12000'], ['income:fx', 'credit', '12000']]),
      });
      feedFile = join(dir, `${ledgerId}.ndjson`);
      await writeFile(feedFile, (await feed()).map((e) => `${JSON.stringify(e)}\n`).join(''));
    });

    /** The whole feed, page by page as `npm run export` reads it (small pages, to cross page ends). */
    async function feed(): Promise<Json[]> {
      const events: Json[] = [];
      for (let after = 0, head = 1; after < head; after += 7) {
        const page = await api.call('GET', `/v1/ledgers/${ledgerId}/events?after=${after}&limit=7`);
        expect(page.status, page.text).toBe(200);
        events.push(...(page.body.events as Json[]));
        head = page.body.head as number;
      }
      return events;
    }

    async function journalFile(name: string, ...args: string[]): Promise<{ file: string; text: string }> {
      const exported = await exportHledger(feedFile, ...args);
      expect(exported.code, exported.stderr).toBe(0);
      const file = join(dir, `${ledgerId}-${name}.journal`);
      await writeFile(file, exported.stdout);
      return { file, text: exported.stdout };
    }

    /** Ledger-timezone dates around every journal date, and far before and after. */
    function datesToCheck(journal: string): string[] {
      const dates = [...journal.matchAll(/^(\d{4}-\d{2}-\d{2}) /gm)].map((m) => m[1]!);
      return [...new Set(['2023-12-31', '2100-01-01', ...dates.flatMap((d) => [addDays(d, -1), d])])].sort();
    }

    /** Every account's balance from hledger equals the service's ledgerBalance, at every date. */
    async function expectSameBalances(journal: string, dates: readonly string[], recordedAsOfPosition?: number): Promise<number> {
      let compared = 0;
      for (const date of dates) {
        const fromHledger = await hledgerBalances(journal, addDays(date, 1));
        for (const account of ACCOUNTS) {
          const query = `effectiveAsOf=${date}${recordedAsOfPosition === undefined ? '' : `&recordedAsOfPosition=${recordedAsOfPosition}`}`;
          const answer = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/${encodeURIComponent(account.id)}/balance?${query}`);
          expect(answer.status, answer.text).toBe(200);
          const rows = fromHledger.get(hledgerName(account.id)) ?? new Map<string, Decimal>();
          // Flat mode gives each account its own postings only: no other commodity (a child's) shows up on it.
          for (const [commodity, amount] of rows) if (commodity !== account.currency) expect(amount.isZero(), `${account.id} ${commodity}`).toBe(true);
          const debitsMinusCredits = rows.get(account.currency) ?? new Decimal(0);
          const signed = account.normalBalance === 'debit' ? debitsMinusCredits : debitsMinusCredits.negated();
          expect(signed.toString(), `${account.id} at ${date}: service ${answer.body.ledgerBalance}`).toBe(new Decimal(answer.body.ledgerBalance).toString());
          compared += 1;
        }
      }
      return compared;
    }

    it('writes a journal hledger checks strictly, dated in the ledger timezone, with exact amounts and tags', async () => {
      const { file, text } = await journalFile('head');
      await run('hledger', ['-f', file, 'check', '-s', 'ordereddates']);
      expect(text).toMatch(/^2024-03-02 \(dep-1\) \* Opening deposit, from branch 7 {2}; id:dep-1, position:\d+, recordedAt:\S+Z, effectiveAt:2024-03-01T20:00:00\.000000Z$/m);
      expect(text).toContain('account points:alice%3A  ; normalBalance:credit, currency:PTS1');
      expect(text).toContain('account suspense:%3Ajpy  ; normalBalance:credit, currency:JPY');
      expect(text).toContain('account assets:bank  ; normalBalance:debit, currency:USD, name:Bank, main account');
      expect(text).toMatch(/^commodity 0\.000000000000000000 "PTS1"$/m);
      expect(text).toMatch(/^commodity 0\. JPY$/m);
      expect(text).toMatch(new RegExp(`^ {4}points:pool +${BIG.replace('.', '\\.')} "PTS1"$`, 'm'));
      expect(text).toMatch(new RegExp(`^ {4}points:alice%3A +-${BIG.replace('.', '\\.')} "PTS1"$`, 'm'));
      // The reversal and the correction say what they undo; the captured hold books what was captured only.
      expect(text).toMatch(/^2024-03-05 \(dep-2-rev\) Reversal of dep-2 .*\n {4}; reverses:dep-2\n {4}; reason: duplicate, keyed twice$/m);
      expect(text).toMatch(/^2024-04-10 \(jpy-1b\) .*\n {4}; corrects:jpy-1$/m);
      expect(text).toMatch(/^2024-05-12 \(card-1\) .*\n {4}; captures:card-1, holdPosition:\d+, resolutionId:cap-1\n {4}customer:42:wallet +120\.00 USD\n {4}merchant +-120\.00 USD$/m);
      expect(text).not.toContain('card-2');
      const printed = await run('hledger', ['-f', file, 'print', 'tag:id=pts-1']);
      expect(printed.stdout).toContain(BIG);
    });

    it('gives every account the service ledger balance at every effective date, as of the head', async () => {
      const { file, text } = await journalFile('head');
      const compared = await expectSameBalances(file, datesToCheck(text));
      expect(compared).toBeGreaterThanOrEqual(ACCOUNTS.length * 15);
    });

    it('with --recorded-as-of-position, gives the balances the service knew at that position', async () => {
      const { file, text } = await journalFile('cut', '--recorded-as-of-position', String(cutPosition));
      await run('hledger', ['-f', file, 'check', '-s', 'ordereddates']);
      expect(text).toContain(`; As known at position ${cutPosition}`);
      // The hold is still pending then: nothing of it is booked; dep-2 is not reversed yet.
      expect(text).not.toMatch(/card-1|reverses:|corrects:/);
      expect(text).toMatch(/^2024-03-05 \(dep-2\) /m);
      await expectSameBalances(file, datesToCheck(text), cutPosition);
    });

    it('refuses a feed whose hash chain breaks, and a position past its end', async () => {
      const lines = (await feed()).map((e) => JSON.stringify(e));
      const tampered = join(dir, `${ledgerId}-tampered.ndjson`);
      await writeFile(tampered, lines.map((line) => line.replace('"250.50"', '"25.50"')).join('\n'));
      const broken = await exportHledger(tampered);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/hash chain breaks at position \d+/);
      const past = await exportHledger(feedFile, '--recorded-as-of-position', String(lines.length + 1));
      expect(past.code).toBe(2);
      expect(past.stderr).toContain(`ends at position ${lines.length}`);
    });
  });
});

describe('scripts/export-hledger.ts usage', () => {
  it('exits 2 with a usage line on bad arguments', async () => {
    for (const args of [[], ['--recorded-as-of-position', '3'], ['f.ndjson', '--as-of', '3'], ['f.ndjson', '--recorded-as-of-position'],
      ['f.ndjson', '--recorded-as-of-position', '0'], ['f.ndjson', '--recorded-as-of-position', '1x'], ['f.ndjson', '--recorded-as-of-position', '3', 'more']]) {
      const result = await exportHledger(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('usage: npm run --silent export:hledger -- <export.ndjson>');
      expect(result.stdout).toBe('');
    }
  });

  it('exits 1 on a feed it cannot read or parse', async () => {
    const missing = await exportHledger(join(dir, 'nowhere.ndjson'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot read .*nowhere\.ndjson/);
    const garbage = join(dir, 'garbage.ndjson');
    await writeFile(garbage, '{"position": 1}\nnot json\n');
    const parsed = await exportHledger(garbage);
    expect(parsed.code).toBe(1);
    expect(parsed.stderr).toMatch(/line 1 is not an event of the feed: no valid recordedAt/);
    const empty = join(dir, 'empty.ndjson');
    await writeFile(empty, '');
    const nothing = await exportHledger(empty);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('the feed holds no event');
  });
});

describe('hledgerJournal', () => {
  /** A log of these events at positions 1, 2, ... (the chain is the script's to check, not the journal's). */
  const log = (...events: LedgerEvent[]): RecordedEvent[] => events.map((event, index) => ({
    ledgerId: 'books', position: index + 1, recordedAt: at('2026-03-01T00:00:00Z'), actor: 'k', requestId: 'r', prevHash: '', hash: '', event,
  }));
  const opened = [ledgerCreated('Europe/Berlin'), accountOpened('bank'), accountOpened('alice', { normalBalance: 'credit' })];
  const deposit = (amount: string) => transactionRecorded({ id: 'dep-1', effectiveAt: '2026-03-01T23:30:00Z', postings: [debit('bank', amount), credit('alice', amount)] });

  it('names accounts injectively and keeps every name one hledger component per segment', () => {
    const ids = ['a:b', 'a::b', 'a:%3Ab', 'a:', 'a%3A', 'a', 'a b', 'a\tb', 'é', '%C3%A9', ':a', '%3Aa'];
    const names = ids.map(hledgerName);
    expect(new Set(names).size).toBe(ids.length);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9._%-]+(:[A-Za-z0-9._%-]+)*$/);
    expect(names.slice(0, 4)).toEqual(['a:b', 'a:%3Ab', 'a:%253Ab', 'a%3A']);
    for (const [index, name] of names.entries()) expect(decodeURIComponent(name)).toBe(ids[index]);
  });

  it('dates in the ledger timezone and refuses what the service never writes, naming the position', () => {
    expect(hledgerJournal(log(...opened, deposit('10.00')))).toMatch(/^2026-03-02 \(dep-1\) dep-1 {2}; id:dep-1, position:4, /m);
    expect(() => hledgerJournal(log(...opened, deposit('10.001')))).toThrow(/^position 4 \(TransactionRecorded\): posting 0: "10.001" is not an amount of USD \(scale 2\)$/);
    expect(() => hledgerJournal(log(...opened, deposit('1e3')))).toThrow(/position 4 .*"1e3" is not an amount/);
    const unbalanced = transactionRecorded({ id: 'x', effectiveAt: '2026-03-01T00:00:00Z', postings: [debit('bank', '1.00'), credit('alice', '2.00')] });
    expect(() => hledgerJournal(log(...opened, unbalanced))).toThrow(/position 4 .*the USD postings do not balance/);
    expect(() => hledgerJournal(log(...opened, transactionRecorded({ id: 'x', effectiveAt: '2026-03-01T00:00:00Z', postings: [debit('bank', '1.00'), credit('bob', '1.00')] }))))
      .toThrow(/position 4 .*unknown account "bob"/);
    expect(() => hledgerJournal(log(...opened, holdPosted('card-1', { effectiveAt: '2026-03-01T00:00:00Z', postings: [] })))).toThrow(/position 4 .*card-1 is not a pending hold/);
    expect(() => hledgerJournal(log(...opened).slice(1))).toThrow(/^position 1: missing/);
    expect(() => hledgerJournal(log(accountOpened('bank')))).toThrow(/^position 1 \(AccountOpened\): a ledger starts with LedgerCreated/);
    expect(() => hledgerJournal(log(...opened), { recordedAsOfPosition: 4 })).toThrow('the feed ends at position 3, before position 4');
  });
});
