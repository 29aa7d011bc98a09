import type { HoldResolutionInput, PostingInput } from './commands.ts';
import type { Decision, DecisionContext } from './decide.ts';
import { assetOf, checkBalanced, checkPeriodOpen, effectiveInstant } from './decide.ts';
import type { Posting } from './events.ts';
import { Decimal, formatAmount, parseAmount, ZERO } from './money.ts';
import { isRejection, reject, type Rejection } from './rejection.ts';
import type { LedgerState, TransactionState } from './state.ts';
import { formatInstant, parseTimestamp, type Instant } from './time.ts';

/** The hold if it can still be posted or voided at the commit's time, else why not. */
function pendingHold(state: LedgerState, holdId: string, context: DecisionContext): TransactionState | Rejection {
  const hold = state.transactions.get(holdId);
  if (!hold) return reject('NOT_FOUND', `Transaction ${holdId} does not exist.`);
  if (hold.data.status !== 'pending') return reject('HOLD_NOT_PENDING', `Transaction ${holdId} is not a hold.`);
  if (hold.resolution) return reject('HOLD_NOT_PENDING', `Hold ${holdId} is already ${hold.resolution.type}.`);
  if (hold.data.expiresAt !== null && parseTimestamp(hold.data.expiresAt)! <= context.recordedAt) {
    return reject('HOLD_EXPIRED', `Hold ${holdId} expired at ${hold.data.expiresAt}.`);
  }
  return hold;
}

/** When the resolution takes effect: given, or now; never before the hold does, and in an open period. */
function resolutionEffectiveAt(input: HoldResolutionInput, hold: TransactionState, state: LedgerState, context: DecisionContext): Instant | Rejection {
  const effectiveAt = effectiveInstant(input.effectiveAt, state, context);
  if (effectiveAt < parseTimestamp(hold.data.effectiveAt)!) {
    return reject('VALIDATION_FAILED', `A hold is resolved no earlier than it takes effect (${hold.data.effectiveAt}).`, [
      { path: 'effectiveAt', message: 'earlier than the hold' },
    ]);
  }
  return checkPeriodOpen(state, effectiveAt, 'effectiveAt') ?? effectiveAt;
}

const pairKey = (p: { accountId: string; direction: string }) => `${p.accountId}\u0000${p.direction}`;

/**
 * The captured postings: the hold's own for a full capture, or the given ones, each at most the
 * hold's amount for its (account, direction). What is not captured is released.
 */
function capturedPostings(hold: TransactionState, given: readonly PostingInput[] | undefined, state: LedgerState): Posting[] | Rejection {
  if (given === undefined) return [...hold.data.postings];
  const held = new Map<string, Decimal>();
  for (const p of hold.data.postings) held.set(pairKey(p), (held.get(pairKey(p)) ?? ZERO).plus(p.amount));
  const captured = new Map<string, Decimal>();
  const postings: Posting[] = [];
  for (const [index, p] of given.entries()) {
    const path = `postings.${index}`;
    const original = hold.data.postings.find((h) => h.accountId === p.accountId && h.direction === p.direction);
    if (!original) return reject('VALIDATION_FAILED', `The hold has no ${p.direction} on ${p.accountId}.`, [{ path, message: 'not a posting of the hold' }]);
    if (p.currency !== undefined && p.currency !== original.currency) {
      return reject('CURRENCY_MISMATCH', `Account ${p.accountId} is in ${original.currency}.`, [{ path: `${path}.currency`, message: `must be ${original.currency}` }]);
    }
    const scale = assetOf(state, original.currency)!.scale;
    const amount = parseAmount(p.amount, scale);
    if (amount === 'SCALE_EXCEEDED') return reject('SCALE_EXCEEDED', `${original.currency} takes at most ${scale} fraction digits.`, [{ path: `${path}.amount`, message: `at most ${scale} fraction digits` }]);
    if (typeof amount === 'string') return reject('VALIDATION_FAILED', 'Amounts are positive decimal strings.', [{ path: `${path}.amount`, message: 'invalid amount' }]);
    const total = (captured.get(pairKey(p)) ?? ZERO).plus(amount);
    if (total.greaterThan(held.get(pairKey(p))!)) {
      return reject('VALIDATION_FAILED', `More than the hold's ${p.direction} on ${p.accountId} (${formatAmount(held.get(pairKey(p))!, scale)}).`, [
        { path: `${path}.amount`, message: 'more than held' },
      ]);
    }
    captured.set(pairKey(p), total);
    postings.push({ accountId: p.accountId, direction: p.direction, amount: formatAmount(amount, scale), currency: original.currency });
  }
  return postings;
}

export function decidePost(input: HoldResolutionInput, given: readonly PostingInput[] | undefined, state: LedgerState, context: DecisionContext): Decision {
  const hold = pendingHold(state, input.holdId, context);
  if (isRejection(hold)) return hold;
  const effectiveAt = resolutionEffectiveAt(input, hold, state, context);
  if (isRejection(effectiveAt)) return effectiveAt;
  const postings = capturedPostings(hold, given, state);
  if (isRejection(postings)) return postings;
  if (postings.length === 0) return reject('VALIDATION_FAILED', 'Capture at least one posting, or void the hold.', [{ path: 'postings', message: 'empty' }]);
  const unbalanced = checkBalanced(postings, state);
  if (unbalanced) return unbalanced;
  for (const p of postings) {
    if (state.accounts.get(p.accountId)?.closed) return reject('ACCOUNT_CLOSED', `Account ${p.accountId} is closed.`);
  }
  return [{
    type: 'HoldPosted',
    data: { holdId: hold.data.id, id: input.id ?? null, effectiveAt: formatInstant(effectiveAt), reason: input.reason ?? null, postings },
  }];
}

export function decideVoid(input: HoldResolutionInput, state: LedgerState, context: DecisionContext): Decision {
  const hold = pendingHold(state, input.holdId, context);
  if (isRejection(hold)) return hold;
  const effectiveAt = resolutionEffectiveAt(input, hold, state, context);
  if (isRejection(effectiveAt)) return effectiveAt;
  return [{ type: 'HoldVoided', data: { holdId: hold.data.id, id: input.id ?? null, effectiveAt: formatInstant(effectiveAt), reason: input.reason ?? null } }];
}
