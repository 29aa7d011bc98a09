import { expect } from 'vitest';
import type { Command, EffectiveInput, HoldResolutionInput, PostingInput, ReversalInput, TransactionInput } from '../../src/domain/commands.ts';
import { decide, type Decision } from '../../src/domain/decide.ts';
import type { LedgerEvent, NormalBalance, Posting, TransactionData } from '../../src/domain/events.ts';
import { isRejection, type ErrorCode, type Rejection } from '../../src/domain/rejection.ts';
import { foldLog, type LedgerState } from '../../src/domain/state.ts';
import { formatInstant, parseTimestamp, type Instant, type PlainDate } from '../../src/domain/time.ts';

// The Decider triple under test as emmett writes its domain tests:
// given(...events).when(command, { recordedAt }).then(events) or .thenRejects(code).

/** The instant of a timestamp the test knows to be valid. */
export function at(text: string): Instant {
  const t = parseTimestamp(text);
  if (t === undefined) throw new Error(`test fixture is not a valid timestamp: ${text}`);
  return t;
}

/** A valid timestamp in the form events hold it: UTC, six fraction digits. */
export function wire(text: string): string {
  return formatInstant(at(text));
}

/** A given event with the recorded time of the commit that held it. */
export interface Given {
  readonly event: LedgerEvent;
  readonly recordedAt: Instant;
}

/** Marks a given event as recorded at a time other than its default (see `stateOf`). */
export function recordedAt(text: string, event: LedgerEvent): Given {
  return { event, recordedAt: at(text) };
}

/** Recorded time of given events that carry no effective time: long before any test's "now". */
const SETUP_RECORDED_AT = at('2026-01-01T00:00:00Z');

function asGiven(item: LedgerEvent | Given): Given {
  if ('event' in item) return item;
  const effectiveAt = item.type === 'TransactionRecorded' || item.type === 'HoldPosted' || item.type === 'HoldVoided' ? item.data.effectiveAt : null;
  return { event: item, recordedAt: effectiveAt === null ? SETUP_RECORDED_AT : at(effectiveAt) };
}

/**
 * The fold of a history at positions 1, 2, ... An event not wrapped in `recordedAt` is recorded
 * when it takes effect, or at the setup time if it has no effective time. Like the store, the
 * state tracks the postings of every `noOverdraft` account (`foldLog`).
 */
export function stateOf(history: readonly (LedgerEvent | Given)[]): LedgerState {
  return foldLog(history.map(asGiven).map((g, index) => ({ ...g, position: index + 1 })));
}

export interface Outcome {
  readonly decision: Decision;
  /** The decision is exactly these events. */
  then(expected: readonly LedgerEvent[]): void;
  /** The decision is a rejection with this code; returned for further checks of its detail. */
  thenRejects(code: ErrorCode): Rejection;
  /** The decision is accepted; its events, for checks of a part of them. */
  thenAccepts(): readonly LedgerEvent[];
}

export function given(...history: readonly (LedgerEvent | Given)[]) {
  const state = stateOf(history);
  return {
    state,
    when(command: Command, context: { readonly recordedAt: string }): Outcome {
      const decision = decide(command, state, { recordedAt: at(context.recordedAt) });
      return {
        decision,
        then(expected) {
          expect(decision).toEqual(expected);
        },
        thenRejects(code) {
          expect(decision).toMatchObject({ rejected: true, code });
          return decision as Rejection;
        },
        thenAccepts() {
          if (isRejection(decision)) expect.fail(`expected events, got ${decision.code}: ${decision.detail} ${JSON.stringify(decision.errors ?? [])}`);
          return decision;
        },
      };
    },
  };
}

// Postings. Without a currency: what a client sends. In an event builder the currency defaults to USD.

export function debit(accountId: string, amount: string, currency?: string): PostingInput {
  return currency === undefined ? { accountId, direction: 'debit', amount } : { accountId, direction: 'debit', amount, currency };
}

export function credit(accountId: string, amount: string, currency?: string): PostingInput {
  return currency === undefined ? { accountId, direction: 'credit', amount } : { accountId, direction: 'credit', amount, currency };
}

function booked(p: PostingInput): Posting {
  return { accountId: p.accountId, direction: p.direction, amount: p.amount, currency: p.currency ?? 'USD' };
}

// Events.

export function ledgerCreated(timezone = 'UTC'): LedgerEvent {
  return { type: 'LedgerCreated', data: { ledgerId: 'books', name: 'Books', timezone } };
}

export function assetDeclared(code: string, scale: number): LedgerEvent {
  return { type: 'AssetDeclared', data: { code, scale } };
}

export interface AccountOptions {
  readonly normalBalance?: NormalBalance;
  readonly currency?: string;
  readonly noOverdraft?: boolean;
}

export function accountOpened(accountId: string, options: AccountOptions = {}): LedgerEvent {
  const { normalBalance = 'debit', currency = 'USD', noOverdraft = false } = options;
  return { type: 'AccountOpened', data: { accountId, name: accountId, normalBalance, currency, noOverdraft, metadata: {} } };
}

export function accountClosed(accountId: string): LedgerEvent {
  return { type: 'AccountClosed', data: { accountId } };
}

export function periodClosed(through: PlainDate): LedgerEvent {
  return { type: 'PeriodClosed', data: { through } };
}

export interface RecordedOptions {
  readonly id: string;
  /** A timestamp; the event holds it in wire form. */
  readonly effectiveAt: string;
  readonly postings: readonly PostingInput[];
  readonly status?: 'posted' | 'pending';
  readonly expiresAt?: string;
  readonly description?: string;
  readonly reverses?: string;
  readonly corrects?: string;
  readonly reason?: string;
}

export function transactionRecorded(options: RecordedOptions): LedgerEvent & { type: 'TransactionRecorded' } {
  const data: TransactionData = {
    id: options.id,
    status: options.status ?? 'posted',
    effectiveAt: wire(options.effectiveAt),
    expiresAt: options.expiresAt === undefined ? null : wire(options.expiresAt),
    description: options.description ?? '',
    metadata: {},
    postings: options.postings.map(booked),
    reverses: options.reverses ?? null,
    corrects: options.corrects ?? null,
    reason: options.reason ?? null,
  };
  return { type: 'TransactionRecorded', data };
}

export function holdPosted(holdId: string, options: { effectiveAt: string; postings: readonly PostingInput[]; id?: string; reason?: string }): LedgerEvent {
  const { effectiveAt, postings, id = null, reason = null } = options;
  return { type: 'HoldPosted', data: { holdId, id, effectiveAt: wire(effectiveAt), reason, postings: postings.map(booked) } };
}

export function holdVoided(holdId: string, options: { effectiveAt: string; id?: string; reason?: string }): LedgerEvent {
  const { effectiveAt, id = null, reason = null } = options;
  return { type: 'HoldVoided', data: { holdId, id, effectiveAt: wire(effectiveAt), reason } };
}

// Commands. An effective time is a timestamp string or a plain date `{ date }`.

export type EffectiveText = string | { readonly date: PlainDate };

function effective(input: EffectiveText | undefined): EffectiveInput | undefined {
  return input === undefined || typeof input !== 'string' ? input : at(input);
}

export function createLedger(timezone = 'UTC'): Command {
  return { type: 'CreateLedger', ledgerId: 'books', name: 'Books', timezone };
}

export function declareAsset(code: string, scale: number): Command {
  return { type: 'DeclareAsset', code, scale };
}

export function openAccount(accountId: string, options: AccountOptions = {}): Command {
  const { normalBalance = 'debit', currency = 'USD', noOverdraft = false } = options;
  return { type: 'OpenAccount', accountId, name: accountId, normalBalance, currency, noOverdraft, metadata: {} };
}

export function closeAccount(accountId: string): Command {
  return { type: 'CloseAccount', accountId };
}

export function closePeriod(through: PlainDate): Command {
  return { type: 'ClosePeriod', through };
}

export interface TransactionOptions {
  readonly id: string;
  readonly postings: readonly PostingInput[];
  readonly effectiveAt?: EffectiveText;
  readonly status?: 'posted' | 'pending';
  readonly expiresAt?: string;
  readonly description?: string;
}

export function transactionInput(options: TransactionOptions): TransactionInput {
  return {
    id: options.id,
    status: options.status ?? 'posted',
    effectiveAt: effective(options.effectiveAt),
    expiresAt: options.expiresAt === undefined ? undefined : at(options.expiresAt),
    description: options.description ?? '',
    metadata: {},
    postings: options.postings,
  };
}

export function recordTransaction(options: TransactionOptions): Command {
  return { type: 'RecordTransaction', transaction: transactionInput(options) };
}

export interface ReversalOptions {
  readonly originalId: string;
  readonly id: string;
  readonly reason?: string;
  readonly effectiveAt?: EffectiveText;
}

function reversalInput(options: ReversalOptions): ReversalInput {
  return { originalId: options.originalId, id: options.id, reason: options.reason ?? 'entered in error', effectiveAt: effective(options.effectiveAt) };
}

export function reverseTransaction(options: ReversalOptions): Command {
  return { type: 'ReverseTransaction', reversal: reversalInput(options) };
}

export function correctTransaction(options: ReversalOptions, replacement: TransactionOptions): Command {
  return { type: 'CorrectTransaction', reversal: reversalInput(options), replacement: transactionInput(replacement) };
}

export interface ResolutionOptions {
  readonly id?: string;
  readonly effectiveAt?: EffectiveText;
  readonly reason?: string;
}

function resolutionInput(holdId: string, options: ResolutionOptions): HoldResolutionInput {
  return { holdId, id: options.id, effectiveAt: effective(options.effectiveAt), reason: options.reason };
}

export function postHold(holdId: string, options: ResolutionOptions & { readonly postings?: readonly PostingInput[] } = {}): Command {
  return { type: 'PostHold', resolution: resolutionInput(holdId, options), postings: options.postings };
}

export function voidHold(holdId: string, options: ResolutionOptions = {}): Command {
  return { type: 'VoidHold', resolution: resolutionInput(holdId, options) };
}
