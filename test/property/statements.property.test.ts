import fc from 'fast-check';
import { expect, it } from 'vitest';
import { Decimal, ZERO } from '../../src/domain/money.ts';
import { formatInstant, parseTimestamp, type Instant } from '../../src/domain/time.ts';
import { describeOnEachDatabase, type Json, type TestApi } from '../support/http.ts';

// Spec section 11 as properties over random journals of typed (and untyped) accounts in two
// assets, one of them of scale 18 with amounts of up to 48 digits, with backdated and
// future-dated entries, reversals and corrections. At random (R, E), through HTTP:
// - the balance sheet balances per currency: assets + unclassified = liabilities + equity + currentEarnings;
// - its lines are the accounts' ledger balances of GET .../balances, and its totals their sums;
// - the income statement's net income over [from, to] is the change of current earnings from
//   (R, just before from) to (R, to), line by line;
// - side by side at R and R', every difference is the one of the two answers.

const RUNS = Number(process.env.STATEMENT_PROPERTY_RUNS ?? 6);
const DAY_MICROS = 86_400_000_000n;

const CHART: readonly Json[] = [
  { id: 'assets:cash', normalBalance: 'debit', currency: 'USD', type: 'asset' },
  { id: 'liabilities:card', normalBalance: 'credit', currency: 'USD', type: 'liability' },
  { id: 'equity:capital', normalBalance: 'credit', currency: 'USD', type: 'equity' },
  { id: 'income:sales', normalBalance: 'credit', currency: 'USD', type: 'income' },
  { id: 'expenses:rent', normalBalance: 'debit', currency: 'USD', type: 'expense' },
  { id: 'suspense', normalBalance: 'debit', currency: 'USD' },
  { id: 'big:vault', normalBalance: 'debit', currency: 'BIG', type: 'asset' },
  { id: 'big:owed', normalBalance: 'credit', currency: 'BIG', type: 'liability' },
  { id: 'big:yield', normalBalance: 'credit', currency: 'BIG', type: 'income' },
  { id: 'big:fees', normalBalance: 'debit', currency: 'BIG', type: 'expense' },
  { id: 'big:odd', normalBalance: 'credit', currency: 'BIG' },
];
const TYPE_OF = new Map<string, string>(CHART.filter((a) => a.type).map((a) => [a.id, a.type]));
const SECTION_OF: Readonly<Record<string, string>> = {
  asset: 'asset', liability: 'liability', equity: 'equity', income: 'currentEarnings', expense: 'currentEarnings', none: 'unclassified',
};
const BY_CURRENCY = { USD: CHART.filter((a) => a.currency === 'USD').map((a) => a.id), BIG: CHART.filter((a) => a.currency === 'BIG').map((a) => a.id) };

const usd = fc.bigInt({ min: 1n, max: 10n ** 12n }).map((cents) => new Decimal(cents.toString()).dividedBy(100).toFixed(2));
const big = fc.bigInt({ min: 1n, max: 10n ** 48n - 1n }).map((units) => new Decimal(units.toString()).dividedBy(new Decimal(10).pow(18)).toFixed(18));
const offset = fc.record({ days: fc.integer({ min: -30, max: 30 }), seconds: fc.integer({ min: 0, max: 86_399 }) });

const operation = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('record' as const), currency: fc.constantFrom('USD' as const, 'BIG' as const), from: fc.nat(), to: fc.nat(), usd, big, offset }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reverse' as const), target: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('correct' as const), target: fc.nat(), usd, big }) },
);
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

const point = fc.record({ positionFraction: fc.double({ min: 0, max: 1, noNaN: true }), offset, periodDays: fc.integer({ min: 0, max: 40 }) });
const journal = fc.record({ operations: fc.array(operation, { minLength: 2, maxLength: 10 }), points: fc.array(point, { minLength: 1, maxLength: 2 }), compare: point });

interface Recorded { readonly id: string; readonly currency: 'USD' | 'BIG'; readonly effectiveAt: string }

const pick = <T>(items: readonly T[], n: number) => items[n % items.length]!;
const at = (now: Instant, o: { days: number; seconds: number }) => now + BigInt(o.days) * DAY_MICROS + BigInt(o.seconds) * 1_000_000n;

function postings(op: { currency: 'USD' | 'BIG'; from: number; to: number; usd: string; big: string }): Json[] {
  const accounts = BY_CURRENCY[op.currency];
  const debit = pick(accounts, op.from);
  const credit = pick(accounts.filter((a) => a !== debit), op.to);
  const amount = op.currency === 'USD' ? op.usd : op.big;
  return [{ accountId: debit, direction: 'debit', amount }, { accountId: credit, direction: 'credit', amount }];
}

async function apply(api: TestApi, path: string, op: Operation, now: Instant, recorded: Recorded[]): Promise<void> {
  if (op.kind === 'record') {
    const effectiveAt = formatInstant(at(now, op.offset));
    const answer = await api.call('POST', `${path}/transactions`, { body: { effectiveAt, postings: postings(op) } });
    expect(answer.status, answer.text).toBe(201);
    recorded.push({ id: answer.body.id, currency: op.currency, effectiveAt });
    return;
  }
  if (recorded.length === 0) return;
  const target = pick(recorded, op.target);
  const answer = op.kind === 'reverse'
    ? await api.call('POST', `${path}/transactions/${target.id}/reverse`, { body: { reason: 'property' } })
    : await api.call('POST', `${path}/transactions/${target.id}/correct`, {
      body: { reason: 'property', replacement: { effectiveAt: target.effectiveAt, postings: postings({ currency: target.currency, from: op.target, to: op.target + 1, usd: op.usd, big: op.big }) } },
    });
  // A second reversal of the same entry is refused and records nothing.
  expect([201, 409], answer.text).toContain(answer.status);
  if (answer.status === 201 && op.kind === 'correct') recorded.push({ id: answer.body.replacement.id, currency: target.currency, effectiveAt: target.effectiveAt });
}

const d = (text: string) => new Decimal(text);
const figures = (report: Json) => new Map<string, Json>(report.totals.map((t: Json) => [t.currency, t]));
const lines = (report: Json) => new Map<string, string>(report.sections.flatMap((s: Json) => s.lines.map((l: Json) => [l.accountId, l.amount])));

async function get(api: TestApi, url: string): Promise<Json> {
  const answer = await api.call('GET', url);
  expect(answer.status, answer.text).toBe(200);
  return answer.body;
}

async function checkPoint(api: TestApi, path: string, position: number, effectiveAt: Instant, periodDays: number): Promise<void> {
  const asOf = `recordedAsOfPosition=${position}&effectiveAsOf=${formatInstant(effectiveAt)}`;
  const [sheet, balances] = await Promise.all([get(api, `${path}/reports/balance-sheet?${asOf}`), get(api, `${path}/balances?${asOf}`)]);
  const ledgerBalances = new Map<string, string>(balances.accounts.map((b: Json) => [b.accountId, b.ledgerBalance]));
  expect(lines(sheet)).toEqual(ledgerBalances);
  for (const section of sheet.sections) for (const line of section.lines) expect(section.section, line.accountId).toBe(SECTION_OF[TYPE_OF.get(line.accountId) ?? 'none']);
  for (const [currency, t] of figures(sheet)) {
    expect(d(t.assets).plus(t.unclassified).equals(d(t.liabilities).plus(t.equity).plus(t.currentEarnings)), `${currency} ${JSON.stringify(t)}`).toBe(true);
    // Each figure from the accounts' balances, summed here by type.
    const sum = (type: string, sign: (a: Json) => number = () => 1) => CHART.filter((a) => a.currency === currency && (a.type ?? 'none') === type)
      .reduce((total, a) => total.plus(d(ledgerBalances.get(a.id)!).times(sign(a))), ZERO);
    const bySide = (a: Json) => (a.normalBalance === 'debit' ? 1 : -1);
    expect([t.assets, t.liabilities, t.equity, t.currentEarnings, t.unclassified].map((x) => d(x).toString())).toEqual(
      [sum('asset'), sum('liability'), sum('equity'), sum('income').minus(sum('expense')), sum('none', bySide)].map(String));
  }
  // The income statement of the period ending at E is the change of current earnings over it.
  const from = effectiveAt - BigInt(periodDays) * DAY_MICROS;
  const [statement, opening] = await Promise.all([
    get(api, `${path}/reports/income-statement?recordedAsOfPosition=${position}&effectiveFrom=${formatInstant(from)}&effectiveTo=${formatInstant(effectiveAt)}`),
    get(api, `${path}/reports/balance-sheet?recordedAsOfPosition=${position}&effectiveAsOf=${formatInstant(from - 1n)}`),
  ]);
  const before = figures(opening);
  for (const [currency, t] of figures(statement)) {
    const earningsBefore = d(before.get(currency)?.currentEarnings ?? '0');
    expect(d(t.netIncome).equals(d(figures(sheet).get(currency)!.currentEarnings).minus(earningsBefore)), currency).toBe(true);
  }
  const openingLines = lines(opening);
  for (const [accountId, amount] of lines(statement)) {
    expect(d(amount).equals(d(ledgerBalances.get(accountId)!).minus(openingLines.get(accountId) ?? ZERO)), accountId).toBe(true);
  }
}

async function checkComparison(api: TestApi, path: string, positions: [number, number], effectiveAt: Instant): Promise<void> {
  const url = (position: number) => `${path}/reports/balance-sheet?recordedAsOfPosition=${position}&effectiveAsOf=${formatInstant(effectiveAt)}`;
  const [now, then, side] = await Promise.all([get(api, url(positions[0])), get(api, url(positions[1])), get(api, `${url(positions[0])}&compareRecordedAsOfPosition=${positions[1]}`)]);
  const [linesNow, linesThen] = [lines(now), lines(then)];
  for (const line of side.sections.flatMap((s: Json) => s.lines)) {
    const [amount, compareAmount] = [d(linesNow.get(line.accountId) ?? '0'), d(linesThen.get(line.accountId) ?? '0')];
    expect([d(line.amount), d(line.compareAmount), d(line.difference)].map(String), line.accountId).toEqual([amount, compareAmount, amount.minus(compareAmount)].map(String));
    if (amount.equals(compareAmount)) expect(line.entries).toEqual([]);
  }
  // Each line's entries explain its difference exactly: the later knowledge time (R) has them, R' not.
  const listed = new Map<string, Json>(side.entries.map((t: Json) => [t.id, t]));
  for (const line of side.sections.flatMap((s: Json) => s.lines)) {
    const moved = line.entries.flatMap((id: string) => listed.get(id)!.postings.filter((p: Json) => p.accountId === line.accountId))
      .reduce((sum: Decimal, p: Json) => (p.direction === line.normalBalance ? sum.plus(p.amount) : sum.minus(p.amount)), ZERO);
    expect(moved.toString(), line.accountId).toBe(d(line.difference).toString());
  }
  for (const t of side.entries) {
    expect(t.position).toBeGreaterThan(Math.min(...positions));
    expect(t.position).toBeLessThanOrEqual(Math.max(...positions));
    expect(parseTimestamp(t.effectiveAt)! <= effectiveAt).toBe(true);
  }
}

async function holdOverJournals(api: TestApi): Promise<void> {
  await fc.assert(fc.asyncProperty(journal, async ({ operations, points, compare }) => {
    const path = `/v1/ledgers/${await api.seedLedger({ accounts: [] })}`;
    expect((await api.call('POST', `${path}/assets`, { body: { code: 'BIG', scale: 18 } })).status).toBe(201);
    for (const account of CHART) expect((await api.call('POST', `${path}/accounts`, { body: account })).status).toBe(201);
    const now = parseTimestamp((await get(api, `${path}/reports/balance-sheet`)).asOf.effectiveAt)!;
    const first = (await get(api, path)).head as number;
    const recorded: Recorded[] = [];
    for (const op of operations) await apply(api, path, op, now, recorded);
    const head = (await get(api, path)).head as number;
    const positionOf = (fraction: number) => first + Math.floor(fraction * (head - first));
    for (const p of points) await checkPoint(api, path, positionOf(p.positionFraction), at(now, p.offset), p.periodDays);
    await checkComparison(api, path, [head, positionOf(compare.positionFraction)], at(now, compare.offset));
  }), { numRuns: RUNS });
}

describeOnEachDatabase('statement properties', (api) => {
  it(`hold over ${RUNS} random journals`, () => holdOverJournals(api), 300_000);
});
