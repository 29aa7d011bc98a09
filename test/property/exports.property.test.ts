import fc from 'fast-check';
import { expect, it } from 'vitest';
import { Decimal } from '../../src/domain/money.ts';
import { describeOnEachDatabase, type Json, type TestApi } from '../support/http.ts';

// Issue 17's property for the exports: over random journals (48-digit amounts, backdated and
// future-dated entries, reversals), the general ledger's CSV and the trial balance's CSV, re-read,
// give the API's ledger balance of every account to the last digit, at random (R, E).

const RUNS = Number(process.env.PROPERTY_RUNS_EXPORTS ?? 25);
const DAY_MS = 86_400_000;

const ACCOUNTS = [
  { id: 'assets:bank', normalBalance: 'debit', currency: 'USD', type: 'asset' },
  { id: 'wallets:alice', normalBalance: 'credit', currency: 'USD', type: 'liability' },
  { id: 'points:pool', normalBalance: 'debit', currency: 'PTS', type: 'asset' },
  { id: 'points:earned', normalBalance: 'credit', currency: 'PTS' },
] as const;
const PAIRS = [[0, 1], [1, 0], [2, 3], [3, 2]] as const;

const usd = fc.bigInt({ min: 1n, max: 10n ** 12n }).map((c) => new Decimal(c.toString()).dividedBy(100).toFixed(2));
// Up to 48 significant digits: 30 before the point, 18 after (the asset's scale).
const pts = fc.bigInt({ min: 1n, max: 10n ** 48n - 1n }).map((n) => new Decimal(n.toString()).dividedBy(new Decimal(10).pow(18)).toFixed(18));

const operation = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('record' as const), pair: fc.integer({ min: 0, max: 3 }), usd, pts, days: fc.integer({ min: -60, max: 30 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reverse' as const), target: fc.nat() }) },
);
const journal = fc.record({
  operations: fc.array(operation, { minLength: 2, maxLength: 10 }),
  check: fc.record({ positionFraction: fc.double({ min: 0, max: 1, noNaN: true }), days: fc.integer({ min: -70, max: 40 }) }),
});

/** Each account's last running balance in the general ledger's CSV (no cell there needs quoting). */
function lastRunning(csv: string): Map<string, string> {
  const [header, ...lines] = csv.split('\r\n').filter((line) => line !== '').map((line) => line.split(','));
  const account = header!.indexOf('accountId');
  const running = header!.indexOf('runningBalance');
  return new Map(lines.map((cells) => [cells[account]!, cells[running]!]));
}

async function runJournals(api: TestApi) {
  await fc.assert(fc.asyncProperty(journal, async ({ operations, check }) => {
    const ledgerId = await api.seedLedger({ accounts: [] });
    const base = `/v1/ledgers/${ledgerId}`;
    const post = async (path: string, body: Json) => {
      const answer = await api.call('POST', `${base}${path}`, { body });
      expect(answer.status, answer.text).toBe(201);
    };
    await post('/assets', { code: 'PTS', scale: 18 });
    for (const account of ACCOUNTS) await post('/accounts', account);
    const recorded: string[] = [];
    for (const [i, op] of operations.entries()) {
      if (op.kind === 'reverse') {
        const target = recorded.splice(op.target % Math.max(recorded.length, 1), 1)[0];
        if (target) await post(`/transactions/${target}/reverse`, { reason: 'property' });
        continue;
      }
      const [debit, credit] = PAIRS[op.pair]!.map((n) => ACCOUNTS[n]);
      const amount = debit!.currency === 'USD' ? op.usd : op.pts;
      const effectiveAt = new Date(Date.now() + op.days * DAY_MS).toISOString();
      await post('/transactions', { id: `t-${i}`, effectiveAt, postings: [{ accountId: debit!.id, direction: 'debit', amount }, { accountId: credit!.id, direction: 'credit', amount }] });
      recorded.push(`t-${i}`);
    }
    const head = await api.head(ledgerId);
    const position = Math.max(1, Math.round(check.positionFraction * head));
    const query = `recordedAsOfPosition=${position}&effectiveAsOf=${new Date(Date.now() + check.days * DAY_MS).toISOString()}`;
    const [ledgerCsv, trialCsv] = await Promise.all(['general-ledger.csv', 'trial-balance.csv'].map(async (name) => (await api.call('GET', `${base}/exports/${name}?${query}`)).text));
    const running = lastRunning(ledgerCsv!);
    const trial = lastRunningTrial(trialCsv!);
    for (const account of ACCOUNTS) {
      const answer = await api.call('GET', `${base}/accounts/${account.id}/balance?${query}`);
      if (answer.status === 404) continue; // not opened yet at that position
      const expected = answer.body.ledgerBalance as string;
      expect(new Decimal(running.get(account.id) ?? '0').toString(), `${account.id} in the general ledger`).toBe(new Decimal(expected).toString());
      if (running.has(account.id)) expect(running.get(account.id)).toBe(expected);
      const net = trial.get(account.id)!;
      expect((account.normalBalance === 'debit' ? net : net.negated()).toString(), `${account.id} in the trial balance`).toBe(new Decimal(expected).toString());
    }
  }), { numRuns: RUNS });
}

/** Each account's debit minus credit in the trial balance's CSV. */
function lastRunningTrial(csv: string): Map<string, Decimal> {
  const [header, ...lines] = csv.split('\r\n').filter((line) => line !== '').map((line) => line.split(','));
  const at = (name: string) => header!.indexOf(name);
  return new Map(lines.filter((cells) => cells[at('accountId')] !== '').map((cells) => [cells[at('accountId')]!, new Decimal(cells[at('debit')]!).minus(cells[at('credit')]!)]));
}

describeOnEachDatabase('export properties', (api) => {
  it(`re-read, the CSV exports give the API's balances to the last digit over ${RUNS} random journals`, () => runJournals(api), 240_000);
});
