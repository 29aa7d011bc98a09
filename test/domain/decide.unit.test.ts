import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendFacts, balanceOf, foldBalanceParts, lowestAvailableByFold } from '../../src/domain/balance.ts';
import type { Command } from '../../src/domain/commands.ts';
import { decide } from '../../src/domain/decide.ts';
import type { LedgerEvent, Posting } from '../../src/domain/events.ts';
import { Decimal, ZERO } from '../../src/domain/money.ts';
import { isRejection } from '../../src/domain/rejection.ts';
import type { LedgerState } from '../../src/domain/state.ts';
import { formatInstant, type Instant } from '../../src/domain/time.ts';
import {
  accountClosed, accountOpened, assetDeclared, at, closeAccount, closePeriod, correctTransaction, createLedger, credit, debit,
  declareAsset, given, holdPosted, holdVoided, ledgerCreated, openAccount, periodClosed, postHold, recordedAt, recordTransaction,
  reverseTransaction, stateOf, transactionRecorded, voidHold, wire, type Given, type TransactionOptions,
} from '../support/decider.ts';

// decide and evolve, pure: spec sections 2 to 4 as given(events).when(command).then(events).

const NOW = '2026-03-10T12:00:00Z';

/** A UTC ledger with USD, EUR and JPY accounts on both normal sides, none of them noOverdraft. */
const books: readonly LedgerEvent[] = [
  ledgerCreated(),
  accountOpened('bank'),
  accountOpened('alice', { normalBalance: 'credit' }),
  accountOpened('merchant', { normalBalance: 'credit' }),
  accountOpened('fees', { normalBalance: 'credit' }),
  accountOpened('eur-bank', { currency: 'EUR' }),
  accountOpened('eur-bob', { normalBalance: 'credit', currency: 'EUR' }),
  accountOpened('jpy-bank', { currency: 'JPY' }),
  accountOpened('jpy-bob', { normalBalance: 'credit', currency: 'JPY' }),
];

const pay = (id: string, amount: string, options: Partial<TransactionOptions> = {}) =>
  recordTransaction({ id, postings: [debit('bank', amount), credit('alice', amount)], ...options });

describe('CreateLedger', () => {
  it('creates the ledger with its timezone', () =>
    given().when(createLedger('Europe/Paris'), { recordedAt: NOW }).then([ledgerCreated('Europe/Paris')]));

  it('refuses to create it twice', () =>
    given(ledgerCreated()).when(createLedger(), { recordedAt: NOW }).thenRejects('IDEMPOTENCY_CONFLICT'));

  it('answers NOT_FOUND to any other command while the ledger does not exist', () => {
    given().when(openAccount('bank'), { recordedAt: NOW }).thenRejects('NOT_FOUND');
    given().when(pay('t-1', '1.00'), { recordedAt: NOW }).thenRejects('NOT_FOUND');
  });
});

describe('DeclareAsset', () => {
  it('declares a custom asset with its scale', () =>
    given(ledgerCreated()).when(declareAsset('GOLD_G', 4), { recordedAt: NOW }).then([assetDeclared('GOLD_G', 4)]));

  it('refuses a code already declared or an ISO 4217 currency', () => {
    given(ledgerCreated(), assetDeclared('GOLD_G', 4)).when(declareAsset('GOLD_G', 2), { recordedAt: NOW }).thenRejects('IDEMPOTENCY_CONFLICT');
    given(ledgerCreated()).when(declareAsset('USD', 2), { recordedAt: NOW }).thenRejects('IDEMPOTENCY_CONFLICT');
  });
});

describe('OpenAccount and CloseAccount', () => {
  it('opens an account in an ISO 4217 currency', () =>
    given(ledgerCreated())
      .when(openAccount('alice', { normalBalance: 'credit', currency: 'BHD', noOverdraft: true }), { recordedAt: NOW })
      .then([accountOpened('alice', { normalBalance: 'credit', currency: 'BHD', noOverdraft: true })]));

  it('refuses an unknown currency as unknown, with VALIDATION_FAILED (not a mismatch: there is nothing to match)', () => {
    const rejection = given(ledgerCreated()).when(openAccount('points', { currency: 'POINTS' }), { recordedAt: NOW }).thenRejects('VALIDATION_FAILED');
    expect(rejection.detail).toMatch(/^Unknown asset POINTS: it is neither an ISO 4217 currency nor an asset declared on this ledger/);
    expect(rejection.errors).toEqual([{ path: 'currency', message: expect.stringMatching(/^unknown asset POINTS/) }]);
  });

  it('opens an account in a custom asset once it is declared', () =>
    given(ledgerCreated(), assetDeclared('POINTS', 0))
      .when(openAccount('points', { currency: 'POINTS' }), { recordedAt: NOW })
      .then([accountOpened('points', { currency: 'POINTS' })]));

  it('refuses an account id already taken', () =>
    given(...books).when(openAccount('bank'), { recordedAt: NOW }).thenRejects('IDEMPOTENCY_CONFLICT'));

  it('closes an account once: closing it again is ACCOUNT_CLOSED', () => {
    given(...books).when(closeAccount('bank'), { recordedAt: NOW }).then([accountClosed('bank')]);
    given(...books, accountClosed('bank')).when(closeAccount('bank'), { recordedAt: NOW }).thenRejects('ACCOUNT_CLOSED');
    given(...books).when(closeAccount('nobody'), { recordedAt: NOW }).thenRejects('NOT_FOUND');
  });

  it('takes no new postings on a closed account', () => {
    const rejection = given(...books, accountClosed('alice')).when(pay('t-1', '1.00'), { recordedAt: NOW }).thenRejects('ACCOUNT_CLOSED');
    expect(rejection.errors).toEqual([{ path: 'postings.1.accountId', message: 'closed account' }]);
  });

  it('folds a close into the account state', () => {
    expect(stateOf([...books, accountClosed('alice')]).accounts.get('alice')?.closed).toBe(true);
  });
});

describe('RecordTransaction', () => {
  it('records the postings at the asset scale, in the account currency, effective when recorded by default', () =>
    given(...books)
      .when(recordTransaction({ id: 't-1', description: 'top-up', postings: [debit('bank', '10.5'), credit('alice', '10.5')] }), { recordedAt: NOW })
      .then([transactionRecorded({ id: 't-1', description: 'top-up', effectiveAt: NOW, postings: [debit('bank', '10.50'), credit('alice', '10.50')] })]));

  it.each([
    ['JPY', 'jpy-bank', 'jpy-bob', '1500', '1500'],
    ['EUR', 'eur-bank', 'eur-bob', '7', '7.00'],
    ['USD', 'bank', 'alice', '0.1', '0.10'],
  ])('writes %s amounts with exactly the asset scale', (currency, from, to, amount, normalized) => {
    const [event] = given(...books).when(recordTransaction({ id: 't-1', postings: [debit(from, amount), credit(to, amount)] }), { recordedAt: NOW }).thenAccepts();
    expect(event).toEqual(transactionRecorded({ id: 't-1', effectiveAt: NOW, postings: [debit(from, normalized, currency), credit(to, normalized, currency)] }));
  });

  it('writes custom asset amounts at the declared scale', () =>
    given(ledgerCreated(), assetDeclared('GOLD_G', 4), accountOpened('vault', { currency: 'GOLD_G' }), accountOpened('owner', { normalBalance: 'credit', currency: 'GOLD_G' }))
      .when(recordTransaction({ id: 't-1', postings: [debit('vault', '0.5'), credit('owner', '0.5')] }), { recordedAt: NOW })
      .then([transactionRecorded({ id: 't-1', effectiveAt: NOW, postings: [debit('vault', '0.5000', 'GOLD_G'), credit('owner', '0.5000', 'GOLD_G')] })]));

  it('refuses a posting on an account that does not exist with UNKNOWN_ACCOUNT', () => {
    const rejection = given(...books)
      .when(recordTransaction({ id: 't-1', postings: [debit('nobody', '1.00'), credit('alice', '1.00')] }), { recordedAt: NOW })
      .thenRejects('UNKNOWN_ACCOUNT');
    expect(rejection.errors).toEqual([{ path: 'postings.0.accountId', message: 'unknown account' }]);
  });

  it('refuses a posting whose currency is not its account’s with CURRENCY_MISMATCH', () => {
    const rejection = given(...books)
      .when(recordTransaction({ id: 't-1', postings: [debit('bank', '1.00', 'EUR'), credit('alice', '1.00', 'EUR')] }), { recordedAt: NOW })
      .thenRejects('CURRENCY_MISMATCH');
    expect(rejection.detail).toBe('Account bank is in USD, not EUR.');
  });

  it('accepts a posting currency equal to its account’s', () =>
    given(...books).when(recordTransaction({ id: 't-1', postings: [debit('bank', '1', 'USD'), credit('alice', '1')] }), { recordedAt: NOW }).thenAccepts());

  it.each([
    ['USD', 'bank', 'alice', '1.005'],
    ['JPY', 'jpy-bank', 'jpy-bob', '1.5'],
  ])('refuses more fraction digits than the %s scale with SCALE_EXCEEDED, never rounding', (_currency, from, to, amount) => {
    const rejection = given(...books).when(recordTransaction({ id: 't-1', postings: [debit(from, '1'), credit(to, amount)] }), { recordedAt: NOW }).thenRejects('SCALE_EXCEEDED');
    expect(rejection.errors).toEqual([{ path: 'postings.1.amount', message: expect.stringContaining('fraction digits') }]);
  });

  it.each(['0', '0.00', '1e3', '-1', '01'])('refuses the amount %j with VALIDATION_FAILED', (amount) => {
    given(...books).when(recordTransaction({ id: 't-1', postings: [debit('bank', amount), credit('alice', amount)] }), { recordedAt: NOW }).thenRejects('VALIDATION_FAILED');
  });

  it('refuses an entry whose debits and credits differ with UNBALANCED, naming the currency and the difference', () => {
    const rejection = given(...books)
      .when(recordTransaction({ id: 't-1', postings: [debit('bank', '10.00'), credit('alice', '9.99')] }), { recordedAt: NOW })
      .thenRejects('UNBALANCED');
    expect(rejection.errors).toEqual([{ path: 'postings', message: 'USD: debits exceed credits by 0.01' }]);
  });

  it('checks the balance per currency: a balanced EUR side does not cover an unbalanced USD one', () => {
    const postings = [debit('eur-bank', '9.20'), credit('eur-bob', '9.20'), debit('bank', '5'), credit('alice', '10')];
    const rejection = given(...books).when(recordTransaction({ id: 't-1', postings }), { recordedAt: NOW }).thenRejects('UNBALANCED');
    expect(rejection.errors).toEqual([{ path: 'postings', message: 'USD: credits exceed debits by 5.00' }]);
  });

  it('refuses an entry that balances only across currencies', () =>
    given(...books)
      .when(recordTransaction({ id: 't-1', postings: [debit('bank', '10'), credit('eur-bob', '10')] }), { recordedAt: NOW })
      .thenRejects('UNBALANCED'));

  it('records a multi-currency entry that balances in each currency', () =>
    given(...books)
      .when(recordTransaction({ id: 'fx-1', postings: [debit('bank', '10'), credit('alice', '10'), debit('eur-bank', '9.2'), credit('eur-bob', '9.2')] }), { recordedAt: NOW })
      .then([transactionRecorded({ id: 'fx-1', effectiveAt: NOW, postings: [debit('bank', '10.00'), credit('alice', '10.00'), debit('eur-bank', '9.20', 'EUR'), credit('eur-bob', '9.20', 'EUR')] })]));

  it('keeps an explicit effective time, backdated or future-dated, in UTC', () => {
    const [backdated] = given(...books).when(pay('t-1', '1', { effectiveAt: '2026-03-01T09:00:00.5+01:00' }), { recordedAt: NOW }).thenAccepts();
    expect(backdated).toMatchObject({ data: { effectiveAt: '2026-03-01T08:00:00.500000Z' } });
    const [future] = given(...books).when(pay('t-1', '1', { effectiveAt: '2026-04-01T00:00:00Z' }), { recordedAt: NOW }).thenAccepts();
    expect(future).toMatchObject({ data: { effectiveAt: '2026-04-01T00:00:00.000000Z' } });
  });

  it.each([
    ['UTC', '2026-03-05', '2026-03-05T00:00:00Z'],
    ['America/New_York', '2026-03-05', '2026-03-05T05:00:00Z'],
    ['America/New_York', '2026-07-01', '2026-07-01T04:00:00Z'],
    ['Asia/Tokyo', '2026-03-05', '2026-03-04T15:00:00Z'],
  ])('reads a plain-date effectiveAt in a %s ledger as the start of %s', (timezone, date, start) => {
    const [event] = given(ledgerCreated(timezone), ...books.slice(1)).when(pay('t-1', '1', { effectiveAt: { date } }), { recordedAt: NOW }).thenAccepts();
    expect(event).toMatchObject({ data: { effectiveAt: wire(start) } });
  });

  it('refuses an id already taken', () =>
    given(...books, transactionRecorded({ id: 't-1', effectiveAt: NOW, postings: [debit('bank', '1.00'), credit('alice', '1.00')] }))
      .when(pay('t-1', '1'), { recordedAt: NOW })
      .thenRejects('IDEMPOTENCY_CONFLICT'));

  describe('expiresAt', () => {
    it('is recorded on a hold that expires after it takes effect', () =>
      given(...books)
        .when(pay('h-1', '5', { status: 'pending', expiresAt: '2026-03-11T12:00:00Z' }), { recordedAt: NOW })
        .then([transactionRecorded({ id: 'h-1', status: 'pending', effectiveAt: NOW, expiresAt: '2026-03-11T12:00:00Z', postings: [debit('bank', '5.00'), credit('alice', '5.00')] })]));

    it('is optional on a hold', () => {
      const [event] = given(...books).when(pay('h-1', '5', { status: 'pending' }), { recordedAt: NOW }).thenAccepts();
      expect(event).toMatchObject({ data: { status: 'pending', expiresAt: null } });
    });

    it('is refused on a posted transaction', () => {
      const rejection = given(...books).when(pay('t-1', '5', { expiresAt: '2026-03-11T12:00:00Z' }), { recordedAt: NOW }).thenRejects('VALIDATION_FAILED');
      expect(rejection.errors).toEqual([{ path: 'expiresAt', message: expect.any(String) }]);
    });

    it.each([
      ['at', NOW],
      ['before', '2026-03-10T11:59:59.999999Z'],
    ])('is refused %s the hold’s effective time', (_when, expiresAt) => {
      const rejection = given(...books).when(pay('h-1', '5', { status: 'pending', expiresAt }), { recordedAt: NOW }).thenRejects('VALIDATION_FAILED');
      expect(rejection.errors).toEqual([{ path: 'expiresAt', message: 'must be later than effectiveAt' }]);
    });

    it('is compared with an explicit effective time, not with the recorded time', () =>
      given(...books)
        .when(pay('h-1', '5', { status: 'pending', effectiveAt: '2026-03-20T00:00:00Z', expiresAt: '2026-03-15T00:00:00Z' }), { recordedAt: NOW })
        .thenRejects('VALIDATION_FAILED'));
  });
});

describe('ClosePeriod', () => {
  it('closes through a past date', () =>
    given(ledgerCreated()).when(closePeriod('2026-03-09'), { recordedAt: NOW }).then([periodClosed('2026-03-09')]));

  it('closes through today but never past it', () => {
    given(ledgerCreated()).when(closePeriod('2026-03-10'), { recordedAt: NOW }).then([periodClosed('2026-03-10')]);
    given(ledgerCreated()).when(closePeriod('2026-03-11'), { recordedAt: NOW }).thenRejects('VALIDATION_FAILED');
  });

  it('reads "today" in the ledger’s timezone', () => {
    // 2026-03-10T12:00Z is 03-11 01:00 in Auckland; 2026-03-10T05:00Z is 03-09 22:00 in Los Angeles.
    given(ledgerCreated('Pacific/Auckland')).when(closePeriod('2026-03-11'), { recordedAt: NOW }).then([periodClosed('2026-03-11')]);
    given(ledgerCreated('America/Los_Angeles')).when(closePeriod('2026-03-10'), { recordedAt: '2026-03-10T05:00:00Z' }).thenRejects('VALIDATION_FAILED');
  });

  it('only moves forward', () => {
    const closed = given(ledgerCreated(), periodClosed('2026-03-05'));
    closed.when(closePeriod('2026-03-05'), { recordedAt: NOW }).thenRejects('PERIOD_CLOSED');
    closed.when(closePeriod('2026-03-04'), { recordedAt: NOW }).thenRejects('PERIOD_CLOSED');
    closed.when(closePeriod('2026-03-06'), { recordedAt: NOW }).then([periodClosed('2026-03-06')]);
  });
});

describe('PERIOD_CLOSED', () => {
  // Closed through 2026-03-05 in New York: the period ends at 2026-03-06T04:59:59.999999Z.
  const closedInNewYork = [ledgerCreated('America/New_York'), ...books.slice(1), periodClosed('2026-03-05')];

  it.each([
    ['the last microsecond of the closed day', '2026-03-06T04:59:59.999999Z'],
    ['a time that is already the next day in UTC', '2026-03-06T03:00:00Z'],
    ['an earlier day', '2026-02-01T00:00:00Z'],
  ])('refuses a write effective at %s, naming the first open date', (_what, effectiveAt) => {
    const rejection = given(...closedInNewYork).when(pay('t-1', '1', { effectiveAt }), { recordedAt: NOW }).thenRejects('PERIOD_CLOSED');
    expect(rejection.detail).toBe('The period through 2026-03-05 is closed; use an effective time on or after 2026-03-06 (America/New_York).');
    expect(rejection.errors).toEqual([{ path: 'effectiveAt', message: expect.any(String) }]);
  });

  it('accepts a write effective at the first instant of the first open day', () =>
    given(...closedInNewYork).when(pay('t-1', '1', { effectiveAt: '2026-03-06T05:00:00Z' }), { recordedAt: NOW }).thenAccepts());

  it('reads plain dates in the ledger’s timezone: the closed date is refused, the next one accepted', () => {
    given(...closedInNewYork).when(pay('t-1', '1', { effectiveAt: { date: '2026-03-05' } }), { recordedAt: NOW }).thenRejects('PERIOD_CLOSED');
    const [event] = given(...closedInNewYork).when(pay('t-1', '1', { effectiveAt: { date: '2026-03-06' } }), { recordedAt: NOW }).thenAccepts();
    expect(event).toMatchObject({ data: { effectiveAt: wire('2026-03-06T05:00:00Z') } });
  });

  it('refuses a reversal whose default effective time falls in the closed period; an open effectiveAt is accepted', () => {
    const original = transactionRecorded({ id: 't-1', effectiveAt: '2026-03-02T15:00:00Z', postings: [debit('bank', '1.00'), credit('alice', '1.00')] });
    const closed = given(...closedInNewYork.slice(0, -1), original, periodClosed('2026-03-05'));
    closed.when(reverseTransaction({ originalId: 't-1', id: 'r-1' }), { recordedAt: NOW }).thenRejects('PERIOD_CLOSED');
    const [reversal] = closed.when(reverseTransaction({ originalId: 't-1', id: 'r-1', effectiveAt: { date: '2026-03-06' } }), { recordedAt: NOW }).thenAccepts();
    expect(reversal).toMatchObject({ data: { effectiveAt: wire('2026-03-06T05:00:00Z') } });
  });

  it('refuses a hold resolution effective in the closed period', () => {
    const hold = transactionRecorded({ id: 'h-1', status: 'pending', effectiveAt: '2026-03-02T15:00:00Z', postings: [debit('bank', '1.00'), credit('alice', '1.00')] });
    const closed = given(...closedInNewYork.slice(0, -1), hold, periodClosed('2026-03-05'));
    closed.when(voidHold('h-1', { effectiveAt: '2026-03-04T00:00:00Z' }), { recordedAt: NOW }).thenRejects('PERIOD_CLOSED');
    closed.when(postHold('h-1', { effectiveAt: '2026-03-04T00:00:00Z' }), { recordedAt: NOW }).thenRejects('PERIOD_CLOSED');
    closed.when(voidHold('h-1'), { recordedAt: NOW }).thenAccepts();
  });
});

describe('ReverseTransaction', () => {
  const original = transactionRecorded({
    id: 't-1', effectiveAt: '2026-03-01T10:00:00Z',
    postings: [debit('bank', '100.00'), credit('alice', '60.00'), credit('merchant', '40.00'), debit('eur-bank', '9.20', 'EUR'), credit('eur-bob', '9.20', 'EUR')],
  });
  const reversal = (effectiveAt: string, reason = 'entered in error') => transactionRecorded({
    id: 'r-1', effectiveAt, description: 'Reversal of t-1', reverses: 't-1', reason,
    postings: [credit('bank', '100.00'), debit('alice', '60.00'), debit('merchant', '40.00'), credit('eur-bank', '9.20', 'EUR'), debit('eur-bob', '9.20', 'EUR')],
  });

  it('mirrors every posting, effective when the original was', () =>
    given(...books, original).when(reverseTransaction({ originalId: 't-1', id: 'r-1', reason: 'duplicate' }), { recordedAt: NOW }).then([reversal('2026-03-01T10:00:00Z', 'duplicate')]));

  it('takes an explicit effective time at or after the original’s', () => {
    given(...books, original).when(reverseTransaction({ originalId: 't-1', id: 'r-1', effectiveAt: '2026-03-08T00:00:00Z' }), { recordedAt: NOW }).then([reversal('2026-03-08T00:00:00Z')]);
    given(...books, original).when(reverseTransaction({ originalId: 't-1', id: 'r-1', effectiveAt: '2026-03-01T10:00:00Z' }), { recordedAt: NOW }).then([reversal('2026-03-01T10:00:00Z')]);
  });

  it.each([
    ['a microsecond earlier', '2026-03-01T09:59:59.999999Z' as const],
    ['the start of the original’s day', { date: '2026-03-01' }],
  ])('refuses an effective time earlier than the original’s (%s) with VALIDATION_FAILED', (_what, effectiveAt) => {
    const rejection = given(...books, original).when(reverseTransaction({ originalId: 't-1', id: 'r-1', effectiveAt }), { recordedAt: NOW }).thenRejects('VALIDATION_FAILED');
    expect(rejection.errors).toEqual([{ path: 'effectiveAt', message: 'earlier than the original' }]);
  });

  it('links the original and its reversal both ways in the fold', () => {
    const state = stateOf([...books, original, reversal('2026-03-01T10:00:00Z')]);
    expect(state.transactions.get('t-1')?.reversedBy).toBe('r-1');
    expect(state.transactions.get('r-1')?.data.reverses).toBe('t-1');
  });

  it('reverses a transaction at most once', () => {
    const rejection = given(...books, original, reversal('2026-03-01T10:00:00Z'))
      .when(reverseTransaction({ originalId: 't-1', id: 'r-2' }), { recordedAt: NOW })
      .thenRejects('ALREADY_REVERSED');
    expect(rejection.detail).toContain('r-1');
  });

  it('does not reverse a reversal: NOT_REVERSIBLE', () =>
    given(...books, original, reversal('2026-03-01T10:00:00Z')).when(reverseTransaction({ originalId: 'r-1', id: 'r-2' }), { recordedAt: NOW }).thenRejects('NOT_REVERSIBLE'));

  it('answers NOT_FOUND for an unknown original and IDEMPOTENCY_CONFLICT for an id already taken', () => {
    given(...books, original).when(reverseTransaction({ originalId: 'nope', id: 'r-1' }), { recordedAt: NOW }).thenRejects('NOT_FOUND');
    given(...books, original).when(reverseTransaction({ originalId: 't-1', id: 't-1' }), { recordedAt: NOW }).thenRejects('IDEMPOTENCY_CONFLICT');
  });

  it('refuses a reversal touching a closed account', () =>
    given(...books, original, accountClosed('merchant')).when(reverseTransaction({ originalId: 't-1', id: 'r-1' }), { recordedAt: NOW }).thenRejects('ACCOUNT_CLOSED'));

  describe('of a hold', () => {
    const hold = transactionRecorded({
      id: 'card-1', status: 'pending', effectiveAt: '2026-03-02T09:00:00Z', expiresAt: '2026-03-09T00:00:00Z',
      postings: [debit('alice', '300.00'), credit('merchant', '300.00')],
    });

    it('refuses a pending or voided hold: NOT_REVERSIBLE, void it instead', () => {
      given(...books, hold).when(reverseTransaction({ originalId: 'card-1', id: 'r-1' }), { recordedAt: NOW }).thenRejects('NOT_REVERSIBLE');
      given(...books, hold, holdVoided('card-1', { effectiveAt: '2026-03-03T00:00:00Z' }))
        .when(reverseTransaction({ originalId: 'card-1', id: 'r-1' }), { recordedAt: NOW })
        .thenRejects('NOT_REVERSIBLE');
    });

    it('mirrors the captured postings of a captured hold, at the capture’s effective time', () =>
      given(...books, hold, holdPosted('card-1', { effectiveAt: '2026-03-06T08:00:00Z', postings: [debit('alice', '250.00'), credit('merchant', '250.00')] }))
        .when(reverseTransaction({ originalId: 'card-1', id: 'r-1' }), { recordedAt: NOW })
        .then([transactionRecorded({
          id: 'r-1', effectiveAt: '2026-03-06T08:00:00Z', description: 'Reversal of card-1', reverses: 'card-1', reason: 'entered in error',
          postings: [credit('alice', '250.00'), debit('merchant', '250.00')],
        })]));

    it('refuses a reversal of a captured hold earlier than the capture', () =>
      given(...books, hold, holdPosted('card-1', { effectiveAt: '2026-03-06T08:00:00Z', postings: [debit('alice', '250.00'), credit('merchant', '250.00')] }))
        .when(reverseTransaction({ originalId: 'card-1', id: 'r-1', effectiveAt: '2026-03-05T00:00:00Z' }), { recordedAt: NOW })
        .thenRejects('VALIDATION_FAILED'));
  });
});

describe('CorrectTransaction', () => {
  const original = transactionRecorded({ id: 'dep-1', effectiveAt: '2026-03-01T10:00:00Z', postings: [debit('bank', '10000.00'), credit('alice', '10000.00')] });
  const reversal = (effectiveAt: string) => transactionRecorded({
    id: 'rev-1', effectiveAt, description: 'Reversal of dep-1', reverses: 'dep-1', reason: 'typo',
    postings: [credit('bank', '10000.00'), debit('alice', '10000.00')],
  });
  const replacement = (effectiveAt: string) => transactionRecorded({
    id: 'dep-1b', effectiveAt, description: 'deposit', corrects: 'dep-1', postings: [debit('bank', '1000.00'), credit('alice', '1000.00')],
  });
  const replacementInput = { id: 'dep-1b', description: 'deposit', postings: [debit('bank', '1000'), credit('alice', '1000')] };

  it('records the full reversal and the replacement, both effective when the original was', () =>
    given(...books, original)
      .when(correctTransaction({ originalId: 'dep-1', id: 'rev-1', reason: 'typo' }, replacementInput), { recordedAt: NOW })
      .then([reversal('2026-03-01T10:00:00Z'), replacement('2026-03-01T10:00:00Z')]));

  it('dates the reversal by the command’s effectiveAt and the replacement by its own', () => {
    given(...books, original)
      .when(correctTransaction({ originalId: 'dep-1', id: 'rev-1', reason: 'typo', effectiveAt: '2026-03-05T00:00:00Z' }, { ...replacementInput, effectiveAt: '2026-03-06T00:00:00Z' }), { recordedAt: NOW })
      .then([reversal('2026-03-05T00:00:00Z'), replacement('2026-03-06T00:00:00Z')]);
    given(...books, original)
      .when(correctTransaction({ originalId: 'dep-1', id: 'rev-1', reason: 'typo', effectiveAt: '2026-03-05T00:00:00Z' }, replacementInput), { recordedAt: NOW })
      .then([reversal('2026-03-05T00:00:00Z'), replacement('2026-03-01T10:00:00Z')]);
  });

  it('records nothing when the replacement is refused', () => {
    given(...books, original)
      .when(correctTransaction({ originalId: 'dep-1', id: 'rev-1' }, { ...replacementInput, postings: [debit('bank', '1000'), credit('alice', '999')] }), { recordedAt: NOW })
      .thenRejects('UNBALANCED');
    given(...books, original)
      .when(correctTransaction({ originalId: 'dep-1', id: 'rev-1' }, { ...replacementInput, id: 'rev-1' }), { recordedAt: NOW })
      .thenRejects('IDEMPOTENCY_CONFLICT');
  });

  it('needs an open effective time for both entries when the original lies in a closed period', () => {
    const closed = given(...books, original, periodClosed('2026-03-05'));
    const reversalOpen = { originalId: 'dep-1', id: 'rev-1', reason: 'typo', effectiveAt: { date: '2026-03-06' } };
    closed.when(correctTransaction({ originalId: 'dep-1', id: 'rev-1' }, replacementInput), { recordedAt: NOW }).thenRejects('PERIOD_CLOSED');
    closed.when(correctTransaction(reversalOpen, replacementInput), { recordedAt: NOW }).thenRejects('PERIOD_CLOSED');
    closed.when(correctTransaction(reversalOpen, { ...replacementInput, effectiveAt: { date: '2026-03-06' } }), { recordedAt: NOW })
      .then([reversal('2026-03-06T00:00:00Z'), replacement('2026-03-06T00:00:00Z')]);
  });

  it('refuses to correct a transaction already reversed', () =>
    given(...books, original, reversal('2026-03-01T10:00:00Z'))
      .when(correctTransaction({ originalId: 'dep-1', id: 'rev-2' }, replacementInput), { recordedAt: NOW })
      .thenRejects('ALREADY_REVERSED'));
});

describe('holds: PostHold and VoidHold', () => {
  const HOLD_NOW = '2026-03-06T08:00:00Z';
  const hold = transactionRecorded({
    id: 'card-1', status: 'pending', effectiveAt: '2026-03-02T09:00:00Z', expiresAt: '2026-03-09T00:00:00Z',
    postings: [debit('alice', '300.00'), credit('merchant', '300.00')],
  });
  const placed = given(...books, hold);

  it('posts the full hold by default, effective when recorded', () =>
    placed.when(postHold('card-1', { id: 'cap-1', reason: 'shipped' }), { recordedAt: HOLD_NOW })
      .then([holdPosted('card-1', { id: 'cap-1', reason: 'shipped', effectiveAt: HOLD_NOW, postings: [debit('alice', '300.00'), credit('merchant', '300.00')] })]));

  it('posts smaller amounts, at the asset scale; the rest is released', () =>
    placed.when(postHold('card-1', { postings: [debit('alice', '250'), credit('merchant', '250')] }), { recordedAt: HOLD_NOW })
      .then([holdPosted('card-1', { effectiveAt: HOLD_NOW, postings: [debit('alice', '250.00'), credit('merchant', '250.00')] })]));

  it('bounds each (account, direction) by what the hold has on it', () => {
    const split = transactionRecorded({
      id: 'card-2', status: 'pending', effectiveAt: '2026-03-02T09:00:00Z',
      postings: [debit('alice', '60.00'), debit('alice', '40.00'), credit('merchant', '70.00'), credit('fees', '30.00')],
    });
    // The fee side may be released entirely, and two postings on one pair count together.
    given(...books, split)
      .when(postHold('card-2', { postings: [debit('alice', '50'), debit('alice', '20'), credit('merchant', '70')] }), { recordedAt: HOLD_NOW })
      .then([holdPosted('card-2', { effectiveAt: HOLD_NOW, postings: [debit('alice', '50.00'), debit('alice', '20.00'), credit('merchant', '70.00')] })]);
    const rejection = given(...books, split)
      .when(postHold('card-2', { postings: [debit('alice', '70'), credit('merchant', '70.01'), credit('fees', '0.01')] }), { recordedAt: HOLD_NOW })
      .thenRejects('VALIDATION_FAILED');
    expect(rejection.errors).toEqual([{ path: 'postings.1.amount', message: 'more than held' }]);
  });

  it('refuses to post more than held, or on a pair the hold does not have', () => {
    placed.when(postHold('card-1', { postings: [debit('alice', '300.01'), credit('merchant', '300.01')] }), { recordedAt: HOLD_NOW }).thenRejects('VALIDATION_FAILED');
    placed.when(postHold('card-1', { postings: [debit('alice', '200'), debit('alice', '100.01'), credit('merchant', '300.01')] }), { recordedAt: HOLD_NOW }).thenRejects('VALIDATION_FAILED');
    placed.when(postHold('card-1', { postings: [debit('merchant', '1'), credit('alice', '1')] }), { recordedAt: HOLD_NOW }).thenRejects('VALIDATION_FAILED');
    placed.when(postHold('card-1', { postings: [] }), { recordedAt: HOLD_NOW }).thenRejects('VALIDATION_FAILED');
  });

  it('refuses an unbalanced capture', () => {
    const rejection = placed.when(postHold('card-1', { postings: [debit('alice', '250'), credit('merchant', '200')] }), { recordedAt: HOLD_NOW }).thenRejects('UNBALANCED');
    expect(rejection.errors).toEqual([{ path: 'postings', message: 'USD: debits exceed credits by 50.00' }]);
  });

  it('voids the hold, effective when recorded by default', () =>
    placed.when(voidHold('card-1', { id: 'void-1', reason: 'cancelled' }), { recordedAt: HOLD_NOW })
      .then([holdVoided('card-1', { id: 'void-1', reason: 'cancelled', effectiveAt: HOLD_NOW })]));

  it('takes an explicit effective time, a plain date included', () =>
    placed.when(postHold('card-1', { effectiveAt: { date: '2026-03-05' } }), { recordedAt: HOLD_NOW })
      .then([holdPosted('card-1', { effectiveAt: '2026-03-05T00:00:00Z', postings: [debit('alice', '300.00'), credit('merchant', '300.00')] })]));

  it('resolves a hold at most once: HOLD_NOT_PENDING after a post or a void', () => {
    const posted = given(...books, hold, holdPosted('card-1', { effectiveAt: '2026-03-05T00:00:00Z', postings: [debit('alice', '300.00'), credit('merchant', '300.00')] }));
    const voided = given(...books, hold, holdVoided('card-1', { effectiveAt: '2026-03-05T00:00:00Z' }));
    for (const resolved of [posted, voided]) {
      resolved.when(postHold('card-1'), { recordedAt: HOLD_NOW }).thenRejects('HOLD_NOT_PENDING');
      resolved.when(voidHold('card-1'), { recordedAt: HOLD_NOW }).thenRejects('HOLD_NOT_PENDING');
    }
  });

  it('refuses to post or void a posted transaction, and NOT_FOUND for an unknown one', () => {
    const posted = transactionRecorded({ id: 't-1', effectiveAt: '2026-03-02T09:00:00Z', postings: [debit('bank', '1.00'), credit('alice', '1.00')] });
    given(...books, posted).when(postHold('t-1'), { recordedAt: HOLD_NOW }).thenRejects('HOLD_NOT_PENDING');
    given(...books, posted).when(voidHold('t-1'), { recordedAt: HOLD_NOW }).thenRejects('HOLD_NOT_PENDING');
    placed.when(postHold('nope'), { recordedAt: HOLD_NOW }).thenRejects('NOT_FOUND');
  });

  it('refuses a hold whose expiresAt has passed when the resolution is recorded: HOLD_EXPIRED', () => {
    placed.when(postHold('card-1'), { recordedAt: '2026-03-09T00:00:00Z' }).thenRejects('HOLD_EXPIRED');
    placed.when(voidHold('card-1'), { recordedAt: '2026-03-09T00:00:00Z' }).thenRejects('HOLD_EXPIRED');
    placed.when(postHold('card-1'), { recordedAt: '2026-03-20T00:00:00Z' }).thenRejects('HOLD_EXPIRED');
    placed.when(postHold('card-1'), { recordedAt: '2026-03-08T23:59:59.999999Z' }).thenAccepts();
  });

  it('refuses a resolution effective before the hold is', () => {
    const rejection = placed.when(postHold('card-1', { effectiveAt: '2026-03-02T08:59:59.999999Z' }), { recordedAt: HOLD_NOW }).thenRejects('VALIDATION_FAILED');
    expect(rejection.errors).toEqual([{ path: 'effectiveAt', message: 'earlier than the hold' }]);
    placed.when(voidHold('card-1', { effectiveAt: { date: '2026-03-02' } }), { recordedAt: HOLD_NOW }).thenRejects('VALIDATION_FAILED');
    placed.when(postHold('card-1', { effectiveAt: '2026-03-02T09:00:00Z' }), { recordedAt: HOLD_NOW }).thenAccepts();
  });

  it('does not capture onto a closed account, but voids a hold on one', () => {
    given(...books, hold, accountClosed('merchant')).when(postHold('card-1'), { recordedAt: HOLD_NOW }).thenRejects('ACCOUNT_CLOSED');
    given(...books, hold, accountClosed('merchant')).when(voidHold('card-1'), { recordedAt: HOLD_NOW }).thenAccepts();
  });

  it('folds the resolution into the hold', () => {
    const captured = [debit('alice', '250.00', 'USD'), credit('merchant', '250.00', 'USD')];
    const state = stateOf([...books, hold, holdPosted('card-1', { effectiveAt: HOLD_NOW, postings: captured })]);
    expect(state.transactions.get('card-1')?.resolution).toEqual({ type: 'posted', position: books.length + 2, effectiveAt: wire(HOLD_NOW), postings: captured, reason: null });
  });
});

describe('noOverdraft', () => {
  const wallet: readonly LedgerEvent[] = [
    ledgerCreated(),
    accountOpened('bank'),
    accountOpened('alice', { normalBalance: 'credit', noOverdraft: true }),
    accountOpened('merchant', { normalBalance: 'credit' }),
  ];
  const deposit = (id: string, amount: string, effectiveAt: string) =>
    transactionRecorded({ id, effectiveAt, postings: [debit('bank', amount), credit('alice', amount)] });
  const spent = (id: string, amount: string, effectiveAt: string, options: { status?: 'pending'; expiresAt?: string } = {}) =>
    transactionRecorded({ id, effectiveAt, ...options, postings: [debit('alice', amount), credit('merchant', amount)] });
  const spend = (amount: string, options: Partial<TransactionOptions> = {}) =>
    recordTransaction({ id: 'spend', postings: [debit('alice', amount), credit('merchant', amount)], ...options });

  it('refuses a debit that would make the available balance negative now', () => {
    const funded = given(...wallet, deposit('dep-1', '100.00', '2026-03-01T10:00:00Z'));
    const rejection = funded.when(spend('100.01'), { recordedAt: NOW }).thenRejects('INSUFFICIENT_FUNDS');
    expect(rejection.detail).toBe('Account alice would have an available balance of -0.01 USD effective at 2026-03-10T12:00:00.000000Z.');
    expect(rejection.errors).toEqual([{ path: 'postings', message: 'alice would be overdrawn' }]);
    funded.when(spend('100.00'), { recordedAt: NOW }).thenAccepts();
  });

  it('refuses a backdated debit before the money came in, while the same debit dated now passes', () => {
    const funded = given(...wallet, deposit('dep-1', '100.00', '2026-03-05T00:00:00Z'));
    const rejection = funded.when(spend('50', { effectiveAt: '2026-03-03T00:00:00Z' }), { recordedAt: NOW }).thenRejects('INSUFFICIENT_FUNDS');
    expect(rejection.detail).toContain('-50.00 USD effective at 2026-03-03T00:00:00.000000Z');
    funded.when(spend('50'), { recordedAt: NOW }).thenAccepts();
  });

  it('refuses a backdated debit that overdraws a past moment even though today’s balance covers it', () => {
    // Available: 100 from 03-01, 20 from 03-04, 70 from 03-06. A 30 debit dated 03-03 dips to -10 on 03-04.
    const history = given(...wallet, deposit('dep-1', '100.00', '2026-03-01T00:00:00Z'), spent('s-1', '80.00', '2026-03-04T00:00:00Z'), deposit('dep-2', '50.00', '2026-03-06T00:00:00Z'));
    const rejection = history.when(spend('30', { effectiveAt: '2026-03-03T00:00:00Z' }), { recordedAt: NOW }).thenRejects('INSUFFICIENT_FUNDS');
    expect(rejection.detail).toContain('-10.00 USD effective at 2026-03-04T00:00:00.000000Z');
    history.when(spend('30'), { recordedAt: NOW }).thenAccepts();
    history.when(spend('30', { effectiveAt: '2026-03-06T00:00:00Z' }), { recordedAt: NOW }).thenAccepts();
  });

  it('counts an active hold against the available balance', () => {
    const held = given(...wallet, deposit('dep-1', '100.00', '2026-03-01T00:00:00Z'), spent('card-1', '80.00', '2026-03-05T00:00:00Z', { status: 'pending' }));
    expect(held.when(spend('30'), { recordedAt: NOW }).thenRejects('INSUFFICIENT_FUNDS').detail).toContain('-10.00 USD');
    held.when(spend('20'), { recordedAt: NOW }).thenAccepts();
    held.when(spend('30', { status: 'pending' }), { recordedAt: NOW }).thenRejects('INSUFFICIENT_FUNDS');
  });

  it('counts a hold no longer once it is voided or expired', () => {
    given(...wallet, deposit('dep-1', '100.00', '2026-03-01T00:00:00Z'), spent('card-1', '80.00', '2026-03-05T00:00:00Z', { status: 'pending' }), holdVoided('card-1', { effectiveAt: '2026-03-06T00:00:00Z' }))
      .when(spend('30'), { recordedAt: NOW }).thenAccepts();
    given(...wallet, deposit('dep-1', '100.00', '2026-03-01T00:00:00Z'), spent('card-1', '80.00', '2026-03-05T00:00:00Z', { status: 'pending', expiresAt: '2026-03-08T00:00:00Z' }))
      .when(spend('30'), { recordedAt: NOW }).thenAccepts();
  });

  it('counts a captured amount once: capturing a hold that used all the money passes', () => {
    const held = given(...wallet, deposit('dep-1', '100.00', '2026-03-01T00:00:00Z'), spent('card-1', '100.00', '2026-03-05T00:00:00Z', { status: 'pending' }));
    held.when(postHold('card-1'), { recordedAt: NOW }).thenAccepts();
    held.when(postHold('card-1', { postings: [debit('alice', '60'), credit('merchant', '60')] }), { recordedAt: NOW }).thenAccepts();
    // A future-dated capture: the hold stops counting when the capture is recorded, as the scheduled posting starts to.
    held.when(postHold('card-1', { effectiveAt: '2026-03-20T00:00:00Z' }), { recordedAt: NOW }).thenAccepts();
    given(...wallet, deposit('dep-1', '100.00', '2026-03-01T00:00:00Z'), spent('card-1', '100.00', '2026-03-05T00:00:00Z', { status: 'pending' }),
      holdPosted('card-1', { effectiveAt: '2026-03-06T00:00:00Z', postings: [debit('alice', '60.00'), credit('merchant', '60.00')] }))
      .when(spend('40'), { recordedAt: NOW }).thenAccepts();
  });

  it('never refuses money coming in, even to an account already overdrawn', () => {
    // Given events are folded, not decided: this history overdraws alice by 50.
    const overdrawn = given(...wallet, deposit('dep-1', '100.00', '2026-03-01T00:00:00Z'), spent('s-1', '150.00', '2026-03-02T00:00:00Z'));
    overdrawn.when(recordTransaction({ id: 'dep-2', postings: [debit('bank', '10'), credit('alice', '10')] }), { recordedAt: NOW }).thenAccepts();
    overdrawn.when(recordTransaction({ id: 'dep-2', effectiveAt: '2026-02-01T00:00:00Z', postings: [debit('bank', '10'), credit('alice', '10')] }), { recordedAt: NOW }).thenAccepts();
    overdrawn.when(spend('0.01'), { recordedAt: NOW }).thenRejects('INSUFFICIENT_FUNDS');
  });

  it('checks a future-dated debit from now: it counts as soon as it is known, money coming in only once effective', () => {
    const scheduledDeposit = recordedAt('2026-03-08T00:00:00Z', deposit('dep-1', '100.00', '2026-03-15T00:00:00Z'));
    const rejection = given(...wallet, scheduledDeposit).when(spend('50', { effectiveAt: '2026-03-20T00:00:00Z' }), { recordedAt: NOW }).thenRejects('INSUFFICIENT_FUNDS');
    expect(rejection.detail).toContain('-50.00 USD effective at 2026-03-10T12:00:00.000000Z');
    given(...wallet, deposit('dep-1', '100.00', '2026-03-09T00:00:00Z')).when(spend('50', { effectiveAt: '2026-03-20T00:00:00Z' }), { recordedAt: NOW }).thenAccepts();
  });

  it('counts a known future-dated debit against today’s available balance', () => {
    const scheduledRent = recordedAt('2026-03-03T00:00:00Z', spent('rent', '100.00', '2026-03-31T00:00:00Z'));
    given(...wallet, deposit('dep-1', '100.00', '2026-03-01T00:00:00Z'), scheduledRent).when(spend('0.01'), { recordedAt: NOW }).thenRejects('INSUFFICIENT_FUNDS');
  });

  it('refuses a reversal of money that was already spent', () =>
    given(...wallet, deposit('dep-1', '100.00', '2026-03-01T00:00:00Z'), spent('s-1', '60.00', '2026-03-02T00:00:00Z'))
      .when(reverseTransaction({ originalId: 'dep-1', id: 'r-1' }), { recordedAt: NOW })
      .thenRejects('INSUFFICIENT_FUNDS'));

  it('leaves accounts without noOverdraft free to go negative', () =>
    given(...wallet).when(recordTransaction({ id: 't-1', postings: [debit('merchant', '10'), credit('bank', '10')] }), { recordedAt: NOW }).thenAccepts());

  describe('the worked example of spec section 11', () => {
    const history = (noOverdraft: boolean) => [
      ledgerCreated(),
      accountOpened('bank'),
      accountOpened('alice', { normalBalance: 'credit', noOverdraft }),
      accountOpened('merchant', { normalBalance: 'credit' }),
      deposit('dep-1', '10000.00', '2026-03-01T10:00:00Z'),
      spent('card-1', '300.00', '2026-03-02T09:00:00Z', { status: 'pending', expiresAt: '2026-03-09T00:00:00Z' }),
      recordedAt('2026-03-03T12:00:00Z', spent('rent-march', '1000.00', '2026-03-10T00:00:00Z')),
    ];
    const correction = correctTransaction({ originalId: 'dep-1', id: 'dep-1-rev' }, { id: 'dep-1-fix', postings: [debit('bank', '1000.00'), credit('alice', '1000.00')] });

    it('refuses the correction when alice is noOverdraft: negative from 03-03 12:00 on', () => {
      const rejection = given(...history(true)).when(correction, { recordedAt: '2026-03-05T15:00:00Z' }).thenRejects('INSUFFICIENT_FUNDS');
      expect(rejection.detail).toBe('Account alice would have an available balance of -300.00 USD effective at 2026-03-03T12:00:00.000000Z.');
    });

    it('records it when she is not', () => {
      expect(given(...history(false)).when(correction, { recordedAt: '2026-03-05T15:00:00Z' }).thenAccepts()).toHaveLength(2);
    });
  });
});

// Properties.

const PROPERTY_ACCOUNTS = [
  { id: 'bank', currency: 'USD', scale: 2 }, { id: 'alice', currency: 'USD', scale: 2 }, { id: 'merchant', currency: 'USD', scale: 2 },
  { id: 'eur-bank', currency: 'EUR', scale: 2 }, { id: 'eur-bob', currency: 'EUR', scale: 2 },
  { id: 'jpy-bank', currency: 'JPY', scale: 0 }, { id: 'jpy-bob', currency: 'JPY', scale: 0 },
] as const;

/** An amount in minor units written at the asset's scale, or with trailing zeros trimmed. */
function amountText(units: number, scale: number, trimmed: boolean): string {
  const value = new Decimal(units).dividedBy(new Decimal(10).pow(scale));
  return trimmed ? value.toString() : value.toFixed(scale);
}

type Account = (typeof PROPERTY_ACCOUNTS)[number];

const units = fc.integer({ min: 1, max: 1_000_000_000 });
const account = fc.constantFrom(...PROPERTY_ACCOUNTS);

/** A balanced set of postings: legs of one debit and one or two credits of the same total, shuffled. */
const balancedPostings = fc
  .array(fc.record({ currency: fc.constantFrom('USD', 'EUR', 'JPY'), units, split: fc.double({ min: 0, max: 1, noNaN: true }), picks: fc.tuple(fc.nat(), fc.nat(), fc.nat()), trimmed: fc.boolean() }), { minLength: 1, maxLength: 4 })
  .map((legs) => legs.flatMap((leg) => {
    const pool = PROPERTY_ACCOUNTS.filter((a) => a.currency === leg.currency);
    const [a, b, c] = leg.picks.map((i) => pool[i % pool.length]!) as [Account, Account, Account];
    const first = Math.floor(leg.units * leg.split);
    const credits = first > 0 && first < leg.units ? [credit(b.id, amountText(first, b.scale, leg.trimmed)), credit(c.id, amountText(leg.units - first, c.scale, leg.trimmed))] : [credit(b.id, amountText(leg.units, b.scale, leg.trimmed))];
    return [debit(a.id, amountText(leg.units, a.scale, leg.trimmed)), ...credits];
  }))
  .chain((postings) => fc.shuffledSubarray(postings, { minLength: postings.length, maxLength: postings.length }));

/** Any postings at all on known accounts: mostly unbalanced. */
const anyPostings = fc.array(
  fc.record({ account, direction: fc.constantFrom('debit' as const, 'credit' as const), units: fc.integer({ min: 1, max: 2000 }), trimmed: fc.boolean() })
    .map((p) => ({ accountId: p.account.id, direction: p.direction, amount: amountText(p.units, p.account.scale, p.trimmed) })),
  { minLength: 2, maxLength: 6 },
);

/** For each key, debits minus credits. */
function netBy(postings: readonly Posting[], key: (p: Posting) => string): Map<string, Decimal> {
  const net = new Map<string, Decimal>();
  for (const p of postings) net.set(key(p), (net.get(key(p)) ?? ZERO).plus(p.direction === 'debit' ? p.amount : new Decimal(p.amount).negated()));
  return net;
}

const allZero = (net: Map<string, Decimal>) => [...net.values()].every((d) => d.isZero());
const scaleOf = (currency: string) => PROPERTY_ACCOUNTS.find((a) => a.currency === currency)!.scale;

describe('properties: balance and reversal', () => {
  it('every accepted RecordTransaction balances per currency, at the assets’ scales; every refused one does not balance', () => {
    const state = given(...books);
    fc.assert(fc.property(fc.oneof(balancedPostings, anyPostings), (postings) => {
      const decision = state.when(recordTransaction({ id: 't-1', postings }), { recordedAt: NOW }).decision;
      if (isRejection(decision)) {
        expect(decision.code).toBe('UNBALANCED');
        const net = netBy(postings.map((p) => ({ ...p, currency: PROPERTY_ACCOUNTS.find((a) => a.id === p.accountId)!.currency })), (p) => p.currency);
        expect(allZero(net)).toBe(false);
        return;
      }
      const [event] = decision;
      if (event?.type !== 'TransactionRecorded') return expect.fail('one TransactionRecorded');
      expect(allZero(netBy(event.data.postings, (p) => p.currency))).toBe(true);
      for (const p of event.data.postings) expect(p.amount).toMatch(scaleOf(p.currency) === 0 ? /^\d+$/ : new RegExp(`^\\d+\\.\\d{${scaleOf(p.currency)}}$`));
    }));
  });

  it('accepts every balanced RecordTransaction', () => {
    const state = given(...books);
    fc.assert(fc.property(balancedPostings, (postings) => {
      state.when(recordTransaction({ id: 't-1', postings }), { recordedAt: NOW }).thenAccepts();
    }));
  });

  it('a reversal’s postings net the booked ones to zero per (account, currency), a captured hold’s included', () => {
    const capture = fc.option(fc.record({ percent: fc.integer({ min: 1, max: 100 }), laterHours: fc.integer({ min: 0, max: 48 }) }));
    fc.assert(fc.property(balancedPostings, capture, fc.option(fc.integer({ min: 0, max: 72 })), (postings, held, laterHours) => {
      const recorded = given(...books)
        .when(recordTransaction({ id: 't-1', postings, status: held ? 'pending' : 'posted', effectiveAt: '2026-03-01T10:00:00Z' }), { recordedAt: NOW })
        .thenAccepts();
      const resolved = held ? captureOf(recorded, held.percent, held.laterHours) : [];
      const [booked] = [...resolved, ...recorded];
      if (booked?.type !== 'HoldPosted' && booked?.type !== 'TransactionRecorded') return expect.fail('a transaction or its capture');
      const { postings: bookedPostings, effectiveAt: bookedEffectiveAt } = booked.data;
      const effectiveAt = laterHours === null ? undefined : hoursAfter(bookedEffectiveAt, laterHours);
      const [reversal] = given(...books, ...recorded, ...resolved)
        .when(reverseTransaction({ originalId: 't-1', id: 'r-1', effectiveAt }), { recordedAt: NOW })
        .thenAccepts();
      if (reversal?.type !== 'TransactionRecorded') return expect.fail('one TransactionRecorded');
      expect(reversal.data.effectiveAt).toBe(effectiveAt === undefined ? bookedEffectiveAt : wire(effectiveAt));
      expect(allZero(netBy([...bookedPostings, ...reversal.data.postings], (p) => `${p.accountId} ${p.currency}`))).toBe(true);
      // And so, from the reversal's effective time on, every account is back where it started: at zero.
      const facts = appendFacts([], [...recorded, ...resolved, reversal].map((event, i) => ({ event, position: i + 1, recordedAt: at(NOW) })));
      for (const { id } of PROPERTY_ACCOUNTS) {
        const balance = balanceOf(foldBalanceParts(facts, id, Number.MAX_SAFE_INTEGER, at(reversal.data.effectiveAt)), 'debit');
        expect(balance.ledgerBalance.isZero()).toBe(true);
      }
    }));
  });
});

describe('properties: noOverdraft', () => {
  // alice (credit-normal) and cash (debit-normal) are noOverdraft; bank and merchant are not.
  const tracked = [{ id: 'alice', normal: 'credit' }, { id: 'cash', normal: 'debit' }] as const;
  // Money in (twice as likely) and money out of the tracked accounts; alice to cash takes from both.
  const PAIRS = [['bank', 'alice'], ['bank', 'alice'], ['cash', 'merchant'], ['cash', 'merchant'], ['alice', 'merchant'], ['merchant', 'cash'], ['alice', 'cash']] as const;
  const opening: readonly LedgerEvent[] = [
    ledgerCreated(), accountOpened('bank'), accountOpened('merchant', { normalBalance: 'credit' }),
    accountOpened('alice', { normalBalance: 'credit', noOverdraft: true }), accountOpened('cash', { noOverdraft: true }),
  ];
  const HOUR = 3_600_000_000n;
  const cents = fc.integer({ min: 1, max: 20_000 });
  const step = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('record' as const), pair: fc.nat(PAIRS.length - 1), cents, offsetHours: fc.integer({ min: -240, max: 240 }), hold: fc.boolean(), expiresInHours: fc.option(fc.integer({ min: 1, max: 200 })) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('reverse' as const), target: fc.nat(), laterHours: fc.option(fc.integer({ min: 0, max: 100 })) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('correct' as const), target: fc.nat(), cents }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('post' as const), target: fc.nat(), percent: fc.integer({ min: 1, max: 100 }), laterHours: fc.integer({ min: 0, max: 50 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('void' as const), target: fc.nat() }) },
  );
  type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;
  const money = (n: number) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;

  function commandOf(op: Step, state: LedgerState, ids: readonly string[], n: number, now: Instant): Command {
    // A post or a void aims at a hold; a reversal or a correction at any transaction, holds included.
    const candidates = op.kind === 'post' || op.kind === 'void' ? ids.filter((id) => state.transactions.get(id)?.data.status === 'pending') : ids;
    const target = 'target' in op ? state.transactions.get(candidates[op.target % Math.max(candidates.length, 1)] ?? '') : undefined;
    const targetAt = target ? at(target.resolution?.type === 'posted' ? target.resolution.effectiveAt : target.data.effectiveAt) : now;
    switch (op.kind) {
      case 'record': {
        const [from, to] = PAIRS[op.pair]!;
        const effectiveAt = now + BigInt(op.offsetHours) * HOUR;
        const expiresAt = op.hold && op.expiresInHours !== null ? formatInstant(effectiveAt + BigInt(op.expiresInHours) * HOUR) : undefined;
        return recordTransaction({ id: `t-${n}`, status: op.hold ? 'pending' : 'posted', effectiveAt: formatInstant(effectiveAt), expiresAt, postings: [debit(from, money(op.cents)), credit(to, money(op.cents))] });
      }
      case 'reverse':
        return reverseTransaction({ originalId: target?.data.id ?? 'none', id: `t-${n}`, effectiveAt: op.laterHours === null ? undefined : formatInstant(targetAt + BigInt(op.laterHours) * HOUR) });
      case 'correct':
        return correctTransaction({ originalId: target?.data.id ?? 'none', id: `t-${n}` }, {
          id: `t-${n}-fix`, postings: (target?.data.postings ?? []).map((p) => (p.direction === 'debit' ? debit : credit)(p.accountId, money(op.cents))),
        });
      case 'post': {
        const held = target ? Math.round(Number(target.data.postings[0]?.amount ?? '0') * 100) : 0;
        const amount = money(Math.max(1, Math.floor((held * op.percent) / 100)));
        const effectiveAt = formatInstant((target ? at(target.data.effectiveAt) : now) + BigInt(op.laterHours) * HOUR);
        return postHold(target?.data.id ?? 'none', { effectiveAt, postings: (target?.data.postings ?? []).map((p) => (p.direction === 'debit' ? debit : credit)(p.accountId, amount)) });
      }
      case 'void':
        return voidHold(target?.data.id ?? 'none');
    }
  }

  /** The lowest available balance of a tracked account at any effective time, as of the whole history (its window holds it all). */
  const lowestEver = (state: LedgerState, account: (typeof tracked)[number]) =>
    lowestAvailableByFold(state.overdraft.get(account.id)?.facts ?? [], account.id, account.normal, at('1900-01-01T00:00:00Z')).availableBalance;

  it('a write is refused with INSUFFICIENT_FUNDS exactly when it would make a tracked available balance negative at some effective time', () => {
    fc.assert(fc.property(fc.array(fc.record({ op: step, gapHours: fc.integer({ min: 1, max: 30 }) }), { minLength: 1, maxLength: 25 }), (steps) => {
      const history: Given[] = opening.map((event) => ({ event, recordedAt: at('2026-01-01T00:00:00Z') }));
      const ids: string[] = [];
      let now = at('2026-03-01T00:00:00Z');
      steps.forEach(({ op, gapHours }, n) => {
        now += BigInt(gapHours) * HOUR;
        const state = stateOf(history);
        const command = commandOf(op, state, ids, n, now);
        const decision = decide(command, state, { recordedAt: now });
        // The same command decided without tracking: what it would record if nothing were checked.
        const unguarded = new Map([...state.accounts].map(([id, account]) => [id, { ...account, noOverdraft: false }]));
        const unchecked = decide(command, { ...state, accounts: unguarded }, { recordedAt: now });
        if (isRejection(decision)) {
          if (decision.code !== 'INSUFFICIENT_FUNDS') return expect(unchecked).toMatchObject({ code: decision.code });
          if (isRejection(unchecked)) return expect.fail(`refused unchecked: ${unchecked.code}`);
          const after = stateOf([...history, ...unchecked.map((event) => ({ event, recordedAt: now }))]);
          return expect(tracked.some((a) => lowestEver(after, a).isNegative())).toBe(true);
        }
        expect(decision).toEqual(unchecked);
        history.push(...decision.map((event) => ({ event, recordedAt: now })));
        for (const event of decision) if (event.type === 'TransactionRecorded') ids.push(event.data.id);
        const after = stateOf(history);
        for (const account of tracked) expect(lowestEver(after, account).isNegative(), `${account.id} after step ${n}`).toBe(false);
      });
    }), { numRuns: 300 });
  });
});

/** Captures about `percent` of what the hold has on each (account, direction), balanced, some hours after the hold. */
function captureOf(recorded: readonly LedgerEvent[], percent: number, laterHours: number): readonly LedgerEvent[] {
  const [hold] = recorded;
  if (hold?.type !== 'TransactionRecorded') throw new Error('a hold');
  const byPair = netBy(hold.data.postings, (p) => `${p.accountId} ${p.direction}`);
  const postings = [...byPair].map(([pair, net]) => {
    const [accountId, direction] = pair.split(' ') as [string, 'debit' | 'credit'];
    const currency = PROPERTY_ACCOUNTS.find((a) => a.id === accountId)!.currency;
    return { accountId, direction, currency, held: net.abs() };
  });
  // Each pair: percent of it, rounded down to a minor unit (all of it if that rounds to zero).
  const captured = postings.map((p) => {
    const scale = scaleOf(p.currency);
    const amount = p.held.times(percent).dividedBy(100).toDecimalPlaces(scale, Decimal.ROUND_DOWN);
    return { ...p, amount: amount.isZero() ? p.held : amount };
  });
  for (const currency of new Set(captured.map((p) => p.currency))) {
    const side = (d: 'debit' | 'credit') => captured.filter((p) => p.currency === currency && p.direction === d);
    const excess = side('debit').reduce((s, p) => s.plus(p.amount), ZERO).minus(side('credit').reduce((s, p) => s.plus(p.amount), ZERO));
    // Rounding leaves debits and credits a few minor units apart: the short side takes them, within what it holds.
    const fix = excess.isPositive() ? side('credit') : side('debit');
    let remainder = excess.abs();
    for (const p of fix) {
      const room = Decimal.min(remainder, p.held.minus(p.amount));
      const index = captured.indexOf(p);
      captured[index] = { ...p, amount: p.amount.plus(room) };
      remainder = remainder.minus(room);
    }
  }
  const effectiveAt = hoursAfter(hold.data.effectiveAt, laterHours);
  return given(...books, ...recorded)
    .when(postHold('t-1', { effectiveAt, postings: captured.map((p) => (p.direction === 'debit' ? debit : credit)(p.accountId, p.amount.toFixed(scaleOf(p.currency)))) }), { recordedAt: NOW })
    .thenAccepts();
}

/** A timestamp some hours after another, in wire form. */
function hoursAfter(timestamp: string, hours: number): string {
  return formatInstant(at(timestamp) + BigInt(hours) * 3_600_000_000n);
}
