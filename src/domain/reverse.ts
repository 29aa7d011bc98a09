import type { DecisionContext, Decision } from './decide.ts';
import { checkPeriodOpen, decideTransaction, effectiveInstant } from './decide.ts';
import type { ReversalInput, TransactionInput } from './commands.ts';
import type { LedgerEvent, TransactionData } from './events.ts';
import { isRejection, reject, type Rejection } from './rejection.ts';
import { evolve, type LedgerState, type TransactionState } from './state.ts';
import { formatInstant, parseTimestamp, type Instant } from './time.ts';

const mirror = { debit: 'credit', credit: 'debit' } as const;

/** The original if it can be reversed now, else why not. */
function reversible(state: LedgerState, originalId: string): TransactionState | Rejection {
  const original = state.transactions.get(originalId);
  if (!original) return reject('NOT_FOUND', `Transaction ${originalId} does not exist.`);
  if (original.data.reverses !== null) {
    return reject('NOT_REVERSIBLE', `Transaction ${originalId} is itself a reversal and cannot be reversed; record a new entry instead.`);
  }
  if (original.data.status !== 'posted' && original.resolution?.type !== 'posted') {
    return reject('NOT_REVERSIBLE', `Transaction ${originalId} is a hold that was not captured: void it instead of reversing it.`);
  }
  if (original.reversedBy !== null) {
    return reject('ALREADY_REVERSED', `Transaction ${originalId} is already reversed by ${original.reversedBy}.`);
  }
  return original;
}

/** What a transaction put on the books: its postings, or for a captured hold what was captured, and when. */
function bookedOf(original: TransactionState): { postings: TransactionData['postings']; effectiveAt: string } {
  return original.resolution?.type === 'posted' ? original.resolution : original.data;
}

/** The reversal event: the booked postings, every one mirrored, linked by `reverses`. */
function reversalEvent(input: ReversalInput, original: TransactionState, effectiveAt: Instant): LedgerEvent {
  return {
    type: 'TransactionRecorded',
    data: {
      id: input.id,
      status: 'posted',
      effectiveAt: formatInstant(effectiveAt),
      expiresAt: null,
      description: `Reversal of ${original.data.id}`,
      metadata: {},
      postings: bookedOf(original).postings.map((p) => ({ ...p, direction: mirror[p.direction] })),
      reverses: original.data.id,
      corrects: null,
      reason: input.reason,
    },
  };
}

export function decideReversal(input: ReversalInput, state: LedgerState, context: DecisionContext): Decision {
  const original = reversible(state, input.originalId);
  if (isRejection(original)) return original;
  if (state.transactions.has(input.id)) return reject('IDEMPOTENCY_CONFLICT', `Transaction ${input.id} already exists.`);
  const originalEffectiveAt = parseTimestamp(bookedOf(original).effectiveAt)!;
  const effectiveAt = input.effectiveAt === undefined ? originalEffectiveAt : effectiveInstant(input.effectiveAt, state, context);
  if (effectiveAt < originalEffectiveAt) {
    return reject('VALIDATION_FAILED', `A reversal takes effect no earlier than its original (${bookedOf(original).effectiveAt}).`, [
      { path: 'effectiveAt', message: 'earlier than the original' },
    ]);
  }
  const closed = checkPeriodOpen(state, effectiveAt, 'effectiveAt');
  if (closed) return closed;
  for (const p of bookedOf(original).postings) {
    if (state.accounts.get(p.accountId)?.closed) return reject('ACCOUNT_CLOSED', `Account ${p.accountId} is closed.`);
  }
  return [reversalEvent(input, original, effectiveAt)];
}

/** A full reversal and a replacement, at consecutive positions of one commit. */
export function decideCorrection(reversal: ReversalInput, replacement: TransactionInput, state: LedgerState, context: DecisionContext): Decision {
  const reversed = decideReversal(reversal, state, context);
  if (isRejection(reversed)) return reversed;
  const original = state.transactions.get(reversal.originalId)!;
  const afterReversal = reversed.reduce((s, e) => evolve(s, e, { position: Number.MAX_SAFE_INTEGER, recordedAt: context.recordedAt }), state);
  const replaced = decideTransaction(
    { ...replacement, effectiveAt: replacement.effectiveAt ?? parseTimestamp(bookedOf(original).effectiveAt)! },
    afterReversal,
    context,
  );
  if (isRejection(replaced)) return replaced;
  const [recorded] = replaced;
  if (recorded?.type !== 'TransactionRecorded') throw new Error('a replacement records one transaction');
  return [...reversed, { ...recorded, data: { ...recorded.data, corrects: original.data.id } }];
}
