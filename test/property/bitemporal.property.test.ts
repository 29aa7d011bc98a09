import fc from 'fast-check';
import { expect, it } from 'vitest';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { balanceOf, foldBalanceParts, postingFacts, type PostingFact } from '../../src/domain/balance.ts';
import type { NormalBalance } from '../../src/domain/events.ts';
import { formatAmount, ZERO } from '../../src/domain/money.ts';
import { dateOf, endOfDay, formatInstant, parseTimestamp, type Instant } from '../../src/domain/time.ts';
import { describeOnEachDatabase, type Json, type TestApi } from '../support/http.ts';

// Spec sections 2 to 4 as properties over random histories: backdated and future-dated entries,
// holds (placed, captured in full or in part, voided, expiring), reversals (of captured holds
// too), corrections and period closes. At random (R, E) the database's answer equals
// the pure fold of the log; the trial balance is zero per currency; a reversal nets its
// original to zero from its effective time on; an answer for a past R never changes.

const HISTORIES = Number(process.env.PROPERTY_RUNS ?? 200);
const DAY_MICROS = 86_400_000_000n;

const ACCOUNTS: readonly { id: string; normalBalance: NormalBalance; currency: string; scale: number }[] = [
  { id: 'bank', normalBalance: 'debit', currency: 'USD', scale: 2 },
  { id: 'alice', normalBalance: 'credit', currency: 'USD', scale: 2 },
  { id: 'merchant', normalBalance: 'credit', currency: 'USD', scale: 2 },
  { id: 'eur-bank', normalBalance: 'debit', currency: 'EUR', scale: 2 },
  { id: 'eur-bob', normalBalance: 'credit', currency: 'EUR', scale: 2 },
];
const PAIRS = [['bank', 'alice'], ['alice', 'merchant'], ['merchant', 'bank'], ['eur-bank', 'eur-bob'], ['eur-bob', 'eur-bank']] as const;

/** An effective time as days (and a few seconds) away from the moment the history runs. */
const offset = fc.record({ days: fc.integer({ min: -40, max: 40 }), seconds: fc.integer({ min: 0, max: 86_399 }) });
const amount = fc.integer({ min: 1, max: 1_000_000 }).map((cents) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`);

const operation = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('record' as const), pair: fc.integer({ min: 0, max: PAIRS.length - 1 }), amount, offset, hold: fc.boolean(), expiresInDays: fc.option(fc.integer({ min: 1, max: 20 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reverse' as const), target: fc.nat(), laterDays: fc.option(fc.integer({ min: 0, max: 10 })) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('correct' as const), target: fc.nat(), amount }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), daysAgo: fc.integer({ min: 1, max: 60 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('post' as const), target: fc.nat(), percent: fc.integer({ min: 1, max: 100 }), laterDays: fc.option(fc.integer({ min: 0, max: 10 })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), target: fc.nat() }) },
);

const history = fc.record({
  operations: fc.array(operation, { minLength: 3, maxLength: 12 }),
  checks: fc.array(fc.record({ positionFraction: fc.double({ min: 0, max: 1, noNaN: true }), offset, onEntry: fc.boolean() }), { minLength: 2, maxLength: 3 }),
});

type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

function at(now: Instant, o: { days: number; seconds: number }): Instant {
  return now + BigInt(o.days) * DAY_MICROS + BigInt(o.seconds) * 1_000_000n;
}

interface Hold {
  readonly id: string;
  readonly cents: number;
  readonly debit: string;
  readonly credit: string;
}

const cents = (amount: string) => Math.round(Number(amount) * 100);
const asAmount = (value: number) => `${Math.floor(value / 100)}.${String(value % 100).padStart(2, '0')}`;

async function apply(api: TestApi, ledgerId: string, op: Operation, now: Instant, recorded: string[], holds: Hold[]): Promise<void> {
  const path = `/v1/ledgers/${ledgerId}`;
  if (op.kind === 'record') {
    const [debit, credit] = PAIRS[op.pair]!;
    const effectiveAt = at(now, op.offset);
    const body: Json = {
      effectiveAt: formatInstant(effectiveAt),
      postings: [{ accountId: debit, direction: 'debit', amount: op.amount }, { accountId: credit, direction: 'credit', amount: op.amount }],
    };
    if (op.hold) {
      body.status = 'pending';
      if (op.expiresInDays !== null) body.expiresAt = formatInstant(effectiveAt + BigInt(op.expiresInDays) * DAY_MICROS);
    }
    const answer = await api.call('POST', `${path}/transactions`, { body });
    expect([201, 409], answer.text).toContain(answer.status);
    if (answer.status === 201 && !op.hold) recorded.push(answer.body.id);
    if (answer.status === 201 && op.hold) holds.push({ id: answer.body.id, cents: cents(op.amount), debit, credit });
    return;
  }
  if (op.kind === 'post' || op.kind === 'void') {
    const hold = holds[op.target % Math.max(holds.length, 1)];
    if (!hold) return;
    const captured = op.kind === 'post' ? asAmount(Math.max(1, Math.floor((hold.cents * op.percent) / 100))) : '';
    const answer = op.kind === 'void'
      ? await api.call('POST', `${path}/transactions/${hold.id}/void`, { body: { reason: 'property' } })
      : await api.call('POST', `${path}/transactions/${hold.id}/post`, {
        body: {
          postings: [{ accountId: hold.debit, direction: 'debit', amount: captured }, { accountId: hold.credit, direction: 'credit', amount: captured }],
          ...(op.laterDays === null ? {} : { effectiveAt: formatInstant(now + BigInt(op.laterDays) * DAY_MICROS) }),
        },
      });
    // Refusals (already resolved, expired, before the hold, a closed period) record nothing.
    expect([201, 400, 409], answer.text).toContain(answer.status);
    if (answer.status === 201 && op.kind === 'post') recorded.push(hold.id);
    return;
  }
  if (op.kind === 'close') {
    const answer = await api.call('POST', `${path}/periods/close`, { body: { through: dateOf(now - BigInt(op.daysAgo) * DAY_MICROS, 'UTC') } });
    expect([201, 409], answer.text).toContain(answer.status);
    return;
  }
  const target = recorded[op.target % Math.max(recorded.length, 1)];
  if (target === undefined) return;
  const answer = op.kind === 'reverse'
    ? await api.call('POST', `${path}/transactions/${target}/reverse`, {
      body: { reason: 'property', ...(op.laterDays === null ? {} : { effectiveAt: formatInstant(now + BigInt(op.laterDays) * DAY_MICROS) }) },
    })
    : await api.call('POST', `${path}/transactions/${target}/correct`, {
      body: { reason: 'property', replacement: { postings: [{ accountId: 'bank', direction: 'debit', amount: op.amount }, { accountId: 'alice', direction: 'credit', amount: op.amount }] } },
    });
  // Refusals (already reversed, a reversal, a closed period, an effective time too early) record nothing.
  expect([201, 400, 409], answer.text).toContain(answer.status);
}

function expectedBalance(facts: readonly PostingFact[], account: (typeof ACCOUNTS)[number], position: number, effectiveAsOf: Instant) {
  const balance = balanceOf(foldBalanceParts(facts, account.id, position, effectiveAsOf), account.normalBalance);
  const fmt = (d: Parameters<typeof formatAmount>[0]) => formatAmount(d, account.scale);
  return {
    ledgerBalance: fmt(balance.ledgerBalance), availableBalance: fmt(balance.availableBalance),
    posted: { debits: fmt(balance.posted.debits), credits: fmt(balance.posted.credits) },
    pending: { debits: fmt(balance.pending.debits), credits: fmt(balance.pending.credits) },
    scheduled: { debits: fmt(balance.scheduled.debits), credits: fmt(balance.scheduled.credits) },
  };
}

/**
 * An account's statement as the fold answers it: its posted postings at positions <= P effective
 * in [from, to], in (effective time, position, posting) order, each with the signed sum of the
 * account's postings through it (those before `from` included).
 */
function expectedStatement(facts: readonly PostingFact[], account: (typeof ACCOUNTS)[number], position: number, from: Instant | undefined, to: Instant) {
  const posted = facts.filter((f) => f.accountId === account.id && f.status === 'posted' && f.position <= position && f.effectiveAt <= to);
  // A stable sort: postings of one position keep their order in the transaction.
  posted.sort((a, b) => (a.effectiveAt < b.effectiveAt ? -1 : a.effectiveAt > b.effectiveAt ? 1 : a.position - b.position));
  let running = ZERO;
  const items = posted.map((f) => {
    running = f.direction === account.normalBalance ? running.plus(f.amount) : running.minus(f.amount);
    return { effectiveAt: f.effectiveAt, transactionId: f.transactionId, amount: formatAmount(f.amount, account.scale), runningBalance: formatAmount(running, account.scale) };
  });
  return items.filter((i) => from === undefined || i.effectiveAt >= from).map(({ effectiveAt: _, ...item }) => item);
}

/** Every page of an account's statement, `limit` items at a time, following the cursor. */
async function statementPages(api: TestApi, path: string, limit: number): Promise<Json[]> {
  const items: Json[] = [];
  for (let query = `limit=${limit}`; ;) {
    const page = await api.call('GET', `${path}&${query}`);
    expect(page.status, page.text).toBe(200);
    items.push(...(page.body.items as Json[]));
    if (page.body.nextCursor === null) return items;
    query = `limit=${limit}&cursor=${encodeURIComponent(page.body.nextCursor as string)}`;
  }
}

/**
 * The properties over `runs` random histories. With `projector`, the balance checkpoints are
 * built only by projector steps of a random number of events before each check (the reads build
 * none), so the checks read while the projector is behind, catching up, and, for the last one,
 * current.
 */
async function holdOverHistories(api: TestApi, runs: number, projector?: { project(ledgerId: string, maxEvents: number): Promise<number | null> }) {
  const store = createLedgerStore(api.database.db);
  let histories = 0;
  await fc.assert(fc.asyncProperty(history, fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 3, maxLength: 3 }), async ({ operations, checks }, steps) => {
    histories += 1;
    const ledgerId = await api.seedLedger({ accounts: ACCOUNTS.map(({ id, normalBalance, currency }) => ({ id, normalBalance, currency })) });
    const now = BigInt(Date.now()) * 1000n;
    const recorded: string[] = [];
    const holds: Hold[] = [];
    const half = Math.ceil(operations.length / 2);
    for (const op of operations.slice(0, half)) await apply(api, ledgerId, op, now, recorded, holds);
    const midHead = await api.head(ledgerId);
    const early = await api.call('GET', `/v1/ledgers/${ledgerId}/balances?recordedAsOfPosition=${midHead}&effectiveAsOf=${encodeURIComponent(formatInstant(now))}`);
    for (const op of operations.slice(half)) await apply(api, ledgerId, op, now, recorded, holds);

    const head = await api.head(ledgerId);
    const events = await store.eventsBetween(ledgerId, 1, head);
    const facts = postingFacts(events);
    const projectedChecks = projector ? [...checks, checks[0]!] : checks;
    for (const [n, check] of projectedChecks.entries()) {
      if (projector) {
        const reached = await projector.project(ledgerId, n < checks.length ? steps[n]! : head);
        expect(reached).not.toBeNull();
        if (n === checks.length) expect(reached, 'the last check reads a current projection').toBe(head);
      }
      // From the position where the last account is open to the head.
      const opened = 1 + ACCOUNTS.length;
      const position = opened + Math.round(check.positionFraction * (head - opened));
      // Half the checks land exactly on an entry's effective time, where off-by-one errors live.
      const entry = facts[Math.floor(check.positionFraction * facts.length)];
      const effectiveAsOf = check.onEntry && entry ? entry.effectiveAt : at(now, check.offset);
      const query = `recordedAsOfPosition=${position}&effectiveAsOf=${encodeURIComponent(formatInstant(effectiveAsOf))}`;
      const trial = await api.call('GET', `/v1/ledgers/${ledgerId}/balances?${query}`);
      expect(trial.status, trial.text).toBe(200);
      for (const account of ACCOUNTS) {
        const answer = (trial.body.accounts as Json[]).find((a) => a.accountId === account.id);
        expect(answer, `${account.id} at ${query}`).toMatchObject(expectedBalance(facts, account, position, effectiveAsOf));
      }
      for (const total of trial.body.totals as Json[]) expect(total.debits, `trial balance ${total.currency}`).toBe(total.credits);
      // One account's balance, and its statement's opening and closing balances over the day before E.
      const one = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/${ACCOUNTS[n % ACCOUNTS.length]!.id}/balance?${query}`);
      expect(one.status, one.text).toBe(200);
      expect(one.body, `one balance at ${query}`).toMatchObject(expectedBalance(facts, ACCOUNTS[n % ACCOUNTS.length]!, position, effectiveAsOf));
      // The same read with R as a recorded time (the event's at `position`: R inside a commit reads the whole
      // commit) and E as a plain date (the end of that day in the ledger's timezone), and the ledger at that R.
      const recordedAsOf = events[position - 1]!.recordedAt;
      const readPosition = events.filter((e) => e.recordedAt <= recordedAsOf).at(-1)!.position;
      const date = dateOf(effectiveAsOf, 'UTC');
      const byTime = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/${ACCOUNTS[n % ACCOUNTS.length]!.id}/balance?recordedAsOf=${encodeURIComponent(formatInstant(recordedAsOf))}&effectiveAsOf=${date}`);
      expect(byTime.status, byTime.text).toBe(200);
      expect(byTime.body, `one balance at ${byTime.body.asOf?.position}, ${date}`).toMatchObject({
        ...expectedBalance(facts, ACCOUNTS[n % ACCOUNTS.length]!, readPosition, endOfDay(date, 'UTC')), asOf: { position: readPosition, effectiveAt: formatInstant(endOfDay(date, 'UTC')) },
      });
      const ledger = await api.call('GET', `/v1/ledgers/${ledgerId}?recordedAsOf=${encodeURIComponent(formatInstant(recordedAsOf))}`);
      const closes = events.filter((e) => e.position <= readPosition && e.event.type === 'PeriodClosed').map((e) => (e.event.data as { through: string }).through);
      expect(ledger.body, 'the ledger at R').toMatchObject({ head: readPosition, closedThrough: closes.at(-1) ?? null, asOf: { position: readPosition } });
      const window = `effectiveFrom=${encodeURIComponent(formatInstant(effectiveAsOf - DAY_MICROS + 1n))}&effectiveTo=${encodeURIComponent(formatInstant(effectiveAsOf))}`;
      const statement = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/${ACCOUNTS[n % ACCOUNTS.length]!.id}/entries?${window}&recordedAsOfPosition=${position}`);
      expect(statement.status, statement.text).toBe(200);
      expect([statement.body.openingBalance, statement.body.closingBalance], `statement at ${query}`).toEqual([
        expectedBalance(facts, ACCOUNTS[n % ACCOUNTS.length]!, position, effectiveAsOf - DAY_MICROS).ledgerBalance,
        expectedBalance(facts, ACCOUNTS[n % ACCOUNTS.length]!, position, effectiveAsOf).ledgerBalance,
      ]);
      // The statement's items page by page, one a page (each page after the first starts at a cursor): each
      // running balance as the fold answers it, at this R and (the first check) at the head.
      {
        const walkAt = n === 0 ? head : position;
        const from = check.onEntry ? effectiveAsOf - 5n * DAY_MICROS : undefined;
        const range = `${from === undefined ? '' : `effectiveFrom=${encodeURIComponent(formatInstant(from))}&`}effectiveTo=${encodeURIComponent(formatInstant(effectiveAsOf))}`;
        const items = await statementPages(api, `/v1/ledgers/${ledgerId}/accounts/${ACCOUNTS[n % ACCOUNTS.length]!.id}/entries?${range}&recordedAsOfPosition=${walkAt}`, 1);
        expect(items.map(({ transactionId, amount, runningBalance }) => ({ transactionId, amount, runningBalance })), `statement items at ${range}, position ${walkAt}`)
          .toEqual(expectedStatement(facts, ACCOUNTS[n % ACCOUNTS.length]!, walkAt, from, effectiveAsOf));
      }
      // A week of daily balance history around E, at the same R: each day's end as the fold answers it.
      const historyAccount = ACCOUNTS[n % ACCOUNTS.length]!;
      const days = `effectiveFrom=${dateOf(effectiveAsOf - 3n * DAY_MICROS, 'UTC')}&effectiveTo=${dateOf(effectiveAsOf + 3n * DAY_MICROS, 'UTC')}`;
      const history = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/${historyAccount.id}/balance-history?interval=day&${days}&recordedAsOfPosition=${position}`);
      expect(history.status, history.text).toBe(200);
      expect(history.body.items).toHaveLength(7);
      for (const item of history.body.items as Json[]) {
        const expected = expectedBalance(facts, historyAccount, position, parseTimestamp(item.effectiveAt as string)!);
        expect({ ledgerBalance: item.ledgerBalance, availableBalance: item.availableBalance }, `${historyAccount.id}'s history at ${item.effectiveAt as string}, ${query}`)
          .toEqual({ ledgerBalance: expected.ledgerBalance, availableBalance: expected.availableBalance });
      }
      // A reversal nets its original to zero from its effective time on: the answer equals the fold without both.
      for (const reversal of events.filter((e) => e.position <= position && e.event.type === 'TransactionRecorded' && e.event.data.reverses)) {
        const data = reversal.event.type === 'TransactionRecorded' ? reversal.event.data : undefined;
        const reversalEffective = postingFacts([reversal])[0]!.effectiveAt;
        if (!data || effectiveAsOf < reversalEffective) continue;
        // The original's postings (a captured hold's capture included) and the reversal's.
        const without = facts.filter((f) => f.transactionId !== data.reverses && f.transactionId !== data.id);
        for (const account of ACCOUNTS) {
          const answer = (trial.body.accounts as Json[]).find((a) => a.accountId === account.id);
          expect(answer?.ledgerBalance, `reversal ${data.id} nets out on ${account.id}`).toBe(expectedBalance(without, account, position, effectiveAsOf).ledgerBalance);
        }
      }
    }
    // An answer for a past R never changes, whatever was recorded since.
    const again = await api.call('GET', `/v1/ledgers/${ledgerId}/balances?recordedAsOfPosition=${midHead}&effectiveAsOf=${encodeURIComponent(formatInstant(now))}`);
    expect(again.text).toBe(early.text);
  }), { numRuns: runs });
  expect(histories).toBeGreaterThanOrEqual(runs);
}

describeOnEachDatabase('bitemporal properties', (api) => {
  it(`hold over ${HISTORIES} random histories`, () => holdOverHistories(api, HISTORIES), 600_000);
// Balance checkpoints (sql/009) every 2 posted postings of an account: the reads above build them
// at random positions and read through them, so fold(checkpoint) + tail == fold(all) is checked.
}, { checkpointEvery: 2 });

describeOnEachDatabase('bitemporal properties with the balance projector', (api) => {
  it(`hold over ${Math.ceil(HISTORIES / 4)} random histories while it is behind, catching up and current`, () =>
    holdOverHistories(api, Math.ceil(HISTORIES / 4), createLedgerStore(api.database.db, { checkpointEvery: 2, checkpointsBuiltBy: 'projector' })), 600_000);
}, { checkpointEvery: 2, checkpointsBuiltBy: 'projector' });
