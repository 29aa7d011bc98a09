import { checkTypeAgrees } from './account-type.ts';
import { isoCurrency, type Asset } from './assets.ts';
import type { Command, EffectiveInput, TransactionInput } from './commands.ts';
import { assertNever, type LedgerEvent, type Posting } from './events.ts';
import { amountAtScale, Decimal, formatAmount, ZERO } from './money.ts';
import { isRejection, reject, type FieldError, type Rejection } from './rejection.ts';
import { appendFacts, availableFloorInWindow, lowestAvailableInWindow, windowWith } from './balance.ts';
import type { LedgerState } from './state.ts';
import { dateOf, endOfDay, formatInstant, nextDate, startOfDay, type Instant, type PlainDate } from './time.ts';
import { decidePost, decideVoid } from './hold.ts';
import { decideCorrection, decideReversal } from './reverse.ts';

/** When a decision is taken: the recorded time of the commit that will hold its events. */
export interface DecisionContext {
  readonly recordedAt: Instant;
}

export type Decision = readonly LedgerEvent[] | Rejection;

/** The asset with this code in the ledger: one of its custom assets, else an ISO 4217 currency. */
export function assetOf(state: LedgerState, code: string): Asset | undefined {
  return state.assets.get(code) ?? isoCurrency(code);
}

/** Every write but CreateLedger to a ledger that does not exist gets this very rejection. */
export const NO_LEDGER = reject('NOT_FOUND', 'The ledger does not exist.');

export function decide(command: Command, state: LedgerState, context: DecisionContext): Decision {
  const decision = decideCommand(command, state, context);
  if (isRejection(decision)) return decision;
  return checkNoOverdraft(state, decision, context) ?? decision;
}

/**
 * `noOverdraft`: with the new events, the available balance of every such account they take
 * money out of must stay at or above zero at every effective time from the earliest time any of
 * its new postings is known from (a backdated one's effective time; else now) onward.
 */
/**
 * A window with a floor could not decide: the floor does not cover what the batch takes out. Not
 * a verdict: the store that loaded the floor loads the account's postings and decides again.
 */
export class OverdraftFloorTooLow extends Error {
  readonly accountId: string;

  constructor(accountId: string) {
    super(`the overdraft floor of ${accountId} does not cover what the batch takes out`);
    this.accountId = accountId;
  }
}

function checkNoOverdraft(state: LedgerState, events: readonly LedgerEvent[], context: DecisionContext): Rejection | null {
  if (!takesFromNoOverdraft(state, events)) return null;
  const at = { position: Number.MAX_SAFE_INTEGER, recordedAt: context.recordedAt };
  const recorded = events.map((event) => ({ event, ...at }));
  // The earliest time each noOverdraft account these events take money out of is affected from.
  const fromByAccount = new Map<string, Instant>();
  for (const f of appendFacts([], recorded)) {
    const account = state.accounts.get(f.accountId);
    if (!account?.noOverdraft || f.direction === account.normalBalance) continue;
    const knownFrom = f.recordedAt < f.effectiveAt ? f.recordedAt : f.effectiveAt;
    const earliest = fromByAccount.get(f.accountId);
    fromByAccount.set(f.accountId, earliest === undefined || knownFrom < earliest ? knownFrom : earliest);
  }
  for (const [accountId, from] of fromByAccount) {
    const account = state.accounts.get(accountId)!;
    const window = state.overdraft.get(accountId);
    // The store loads a window for every noOverdraft account a batch may take money out of.
    if (!window) throw new Error(`no overdraft window for the noOverdraft account ${accountId}`);
    const grown = windowWith(window, recorded, accountId);
    if (grown.floor !== null) {
      if (availableFloorInWindow(grown, accountId, account.normalBalance).isNegative()) throw new OverdraftFloorTooLow(accountId);
      continue;
    }
    const lowest = lowestAvailableInWindow(grown, accountId, account.normalBalance, from);
    if (lowest.availableBalance.isNegative()) {
      const scale = assetOf(state, account.currency)?.scale ?? 0;
      return reject('INSUFFICIENT_FUNDS', `Account ${accountId} would have an available balance of ${formatAmount(lowest.availableBalance, scale)} ${account.currency} effective at ${formatInstant(lowest.effectiveAt)}.`, [
        { path: 'postings', message: `${accountId} would be overdrawn` },
      ]);
    }
  }
  return null;
}

/** Whether a posting of the events takes money out of a noOverdraft account: the postings the check below looks at, found without building them. */
function takesFromNoOverdraft(state: LedgerState, events: readonly LedgerEvent[]): boolean {
  for (const { type, data } of events) {
    if (type !== 'TransactionRecorded' && type !== 'HoldPosted') continue;
    for (const p of data.postings) {
      const account = state.accounts.get(p.accountId);
      if (account?.noOverdraft && p.direction !== account.normalBalance) return true;
    }
  }
  return false;
}

function decideCommand(command: Command, state: LedgerState, context: DecisionContext): Decision {
  if (command.type !== 'CreateLedger' && !state.ledger) return NO_LEDGER;
  switch (command.type) {
    case 'CreateLedger':
      if (state.ledger) return reject('IDEMPOTENCY_CONFLICT', `Ledger ${command.ledgerId} already exists.`);
      return [{ type: 'LedgerCreated', data: { ledgerId: command.ledgerId, name: command.name, timezone: command.timezone } }];
    case 'DeclareAsset':
      if (assetOf(state, command.code)) return reject('IDEMPOTENCY_CONFLICT', `Asset ${command.code} already exists in this ledger.`);
      return [{ type: 'AssetDeclared', data: { code: command.code, scale: command.scale } }];
    case 'OpenAccount': {
      if (state.accounts.has(command.accountId)) {
        return reject('IDEMPOTENCY_CONFLICT', `Account ${command.accountId} already exists.`);
      }
      if (!assetOf(state, command.currency)) {
        // Not a mismatch (there is nothing to match yet) but a field naming nothing known: 400, as the spec has no code of its own for it.
        return reject('VALIDATION_FAILED', `Unknown asset ${command.currency}: it is neither an ISO 4217 currency nor an asset declared on this ledger. Declare it first (POST .../assets {"code": "${command.currency}", "scale": 2}), or use a known code.`, [
          { path: 'currency', message: `unknown asset ${command.currency}: not an ISO 4217 currency nor an asset of this ledger` },
        ]);
      }
      const { type: _type, accountType, ...data } = command;
      const disagreement = checkTypeAgrees(accountType, command.normalBalance);
      if (disagreement) return disagreement;
      return [{ type: 'AccountOpened', data: accountType === undefined ? data : { ...data, type: accountType } }];
    }
    case 'CloseAccount': {
      const account = state.accounts.get(command.accountId);
      if (!account) return reject('NOT_FOUND', `Account ${command.accountId} does not exist.`);
      if (account.closed) return reject('ACCOUNT_CLOSED', `Account ${command.accountId} is already closed.`);
      return [{ type: 'AccountClosed', data: { accountId: command.accountId } }];
    }
    case 'RecordTransaction':
      return decideTransaction(command.transaction, state, context);
    case 'ReverseTransaction':
      return decideReversal(command.reversal, state, context);
    case 'CorrectTransaction':
      return decideCorrection(command.reversal, command.replacement, state, context);
    case 'ClosePeriod':
      return decidePeriodClose(command.through, state, context);
    case 'PostHold':
      return decidePost(command.resolution, command.postings, state, context);
    case 'VoidHold':
      return decideVoid(command.resolution, state, context);
    default:
      return assertNever(command);
  }
}

/** Closing only moves forward, and never past today in the ledger's timezone. */
function decidePeriodClose(through: PlainDate, state: LedgerState, context: DecisionContext): Decision {
  if (state.closedThrough !== null && through <= state.closedThrough) {
    return reject('PERIOD_CLOSED', `The period is already closed through ${state.closedThrough}; a close only moves forward.`, [
      { path: 'through', message: `must be after ${state.closedThrough}` },
    ]);
  }
  const today = todayOf(state, context);
  if (through > today) {
    return reject('VALIDATION_FAILED', `A period closes no later than today (${today} in ${state.ledger?.timezone}).`, [
      { path: 'through', message: 'in the future' },
    ]);
  }
  return [{ type: 'PeriodClosed', data: { through } }];
}

/** Refuses a write effective on or before the end of the closed period, naming the first open date. */
export function checkPeriodOpen(state: LedgerState, effectiveAt: Instant, path: string): Rejection | null {
  const { closedThrough, ledger } = state;
  if (!closedThrough || !ledger) return null;
  if (effectiveAt > endOfDay(closedThrough, ledger.timezone)) return null;
  const firstOpen = nextDate(closedThrough);
  return reject(
    'PERIOD_CLOSED',
    `The period through ${closedThrough} is closed; use an effective time on or after ${firstOpen} (${ledger.timezone}).`,
    [{ path, message: `on or before the closed date ${closedThrough}` }],
  );
}

export function decideTransaction(input: TransactionInput, state: LedgerState, context: DecisionContext): Decision {
  if (state.transactions.has(input.id)) return reject('IDEMPOTENCY_CONFLICT', `Transaction ${input.id} already exists.`);
  const effectiveAt = effectiveInstant(input.effectiveAt, state, context);
  const postings = resolvePostings(input, state);
  if (!Array.isArray(postings)) return postings as Rejection;
  const unbalanced = checkBalanced(postings, state);
  if (unbalanced) return unbalanced;
  const expiry = checkExpiry(input, effectiveAt);
  if (expiry) return expiry;
  const closed = checkPeriodOpen(state, effectiveAt, 'effectiveAt');
  if (closed) return closed;
  return [
    {
      type: 'TransactionRecorded',
      data: {
        id: input.id,
        status: input.status,
        effectiveAt: formatInstant(effectiveAt),
        expiresAt: input.expiresAt === undefined ? null : formatInstant(input.expiresAt),
        description: input.description,
        metadata: input.metadata,
        postings,
        reverses: null,
        corrects: null,
        reason: null,
      },
    },
  ];
}

function checkExpiry(input: TransactionInput, effectiveAt: Instant): Rejection | null {
  if (input.expiresAt === undefined) return null;
  if (input.status !== 'pending') {
    return reject('VALIDATION_FAILED', 'Only a pending transaction (a hold) can expire.', [
      { path: 'expiresAt', message: 'allowed with status "pending" only' },
    ]);
  }
  if (input.expiresAt <= effectiveAt) {
    return reject('VALIDATION_FAILED', 'A hold must expire after it takes effect.', [
      { path: 'expiresAt', message: 'must be later than effectiveAt' },
    ]);
  }
  return null;
}

/** Checks every posting against its account and normalizes its amount to the asset's scale. */
function resolvePostings(input: TransactionInput, state: LedgerState): Posting[] | Rejection {
  const postings: Posting[] = [];
  for (const [index, posting] of input.postings.entries()) {
    const path = `postings.${index}`;
    const account = state.accounts.get(posting.accountId);
    if (!account) return reject('UNKNOWN_ACCOUNT', `Account ${posting.accountId} does not exist.`, [{ path: `${path}.accountId`, message: 'unknown account' }]);
    if (account.closed) return reject('ACCOUNT_CLOSED', `Account ${posting.accountId} is closed.`, [{ path: `${path}.accountId`, message: 'closed account' }]);
    if (posting.currency !== undefined && posting.currency !== account.currency) {
      return reject('CURRENCY_MISMATCH', `Account ${posting.accountId} is in ${account.currency}, not ${posting.currency}.`, [
        { path: `${path}.currency`, message: `must be ${account.currency}` },
      ]);
    }
    const asset = assetOf(state, account.currency);
    if (!asset) throw new Error(`account ${account.accountId} has an unknown asset ${account.currency}`);
    const amount = amountAtScale(posting.amount, asset.scale);
    if (amount === 'SCALE_EXCEEDED') {
      return reject('SCALE_EXCEEDED', `${account.currency} takes at most ${asset.scale} fraction digits.`, [
        { path: `${path}.amount`, message: `at most ${asset.scale} fraction digits` },
      ]);
    }
    if (amount === 'FORMAT' || amount === 'NOT_POSITIVE') {
      return reject('VALIDATION_FAILED', 'Amounts are positive decimal strings.', [{ path: `${path}.amount`, message: 'invalid amount' }]);
    }
    postings.push({ accountId: account.accountId, direction: posting.direction, amount, currency: account.currency });
  }
  return postings;
}

/** For each currency, debits must equal credits. */
export function checkBalanced(postings: readonly Posting[], state: LedgerState): Rejection | null {
  // A debit and a credit of one currency, both at its scale: equal as text is equal in value.
  if (postings.length === 2 && postings[0]!.currency === postings[1]!.currency && postings[0]!.direction !== postings[1]!.direction
    && postings[0]!.amount === postings[1]!.amount) return null;
  const net = new Map<string, Decimal>();
  for (const p of postings) {
    const signed = p.direction === 'debit' ? new Decimal(p.amount) : new Decimal(p.amount).negated();
    net.set(p.currency, (net.get(p.currency) ?? ZERO).plus(signed));
  }
  const errors: FieldError[] = [];
  for (const [currency, difference] of net) {
    if (difference.isZero()) continue;
    const scale = assetOf(state, currency)?.scale ?? 0;
    const side = difference.isPositive() ? 'debits exceed credits' : 'credits exceed debits';
    errors.push({ path: 'postings', message: `${currency}: ${side} by ${formatAmount(difference.abs(), scale)}` });
  }
  if (errors.length === 0) return null;
  return reject('UNBALANCED', `For each currency, the debits must equal the credits: ${errors.map((e) => e.message).join('; ')}.`, errors);
}

/** A client's effective time as an instant: a plain date is the start of that day; absent, the commit's time. */
export function effectiveInstant(input: EffectiveInput | undefined, state: LedgerState, context: DecisionContext): Instant {
  if (input === undefined) return context.recordedAt;
  return typeof input === 'bigint' ? input : startOfDay(input.date, state.ledger?.timezone ?? 'UTC');
}

/** The calendar date of the commit in the ledger's timezone: "today" for period closes. */
export function todayOf(state: LedgerState, context: DecisionContext): string {
  return dateOf(context.recordedAt, state.ledger?.timezone ?? 'UTC');
}
