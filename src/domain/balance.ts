import type { NormalBalance, RecordedEvent } from './events.ts';
import { Decimal, ZERO } from './money.ts';
import { parseTimestamp, type Instant } from './time.ts';

/** Debit and credit totals of one kind of posting on an account. */
export interface Sides {
  readonly debits: Decimal;
  readonly credits: Decimal;
}

export interface BalanceParts {
  readonly posted: Sides;
  readonly pending: Sides;
  readonly scheduled: Sides;
}

export interface Balance extends BalanceParts {
  readonly ledgerBalance: Decimal;
  readonly availableBalance: Decimal;
}

/** Positive on the account's normal side. */
export function signedTotal(sides: Sides, normal: NormalBalance): Decimal {
  return normal === 'debit' ? sides.debits.minus(sides.credits) : sides.credits.minus(sides.debits);
}

/** The amount on the side opposite to the normal one: what takes money out. */
export function contraSide(sides: Sides, normal: NormalBalance): Decimal {
  return normal === 'debit' ? sides.credits : sides.debits;
}

/**
 * Section 4 of the spec: the ledger balance is the signed posted total; the available balance
 * also subtracts the outgoing side of active holds and of known future-dated postings.
 */
export function balanceOf(parts: BalanceParts, normal: NormalBalance): Balance {
  const ledgerBalance = signedTotal(parts.posted, normal);
  const availableBalance = ledgerBalance.minus(contraSide(parts.pending, normal)).minus(contraSide(parts.scheduled, normal));
  return { ...parts, ledgerBalance, availableBalance };
}

/** One posting as the balance rules see it: what, where, and both times. */
export interface PostingFact {
  readonly position: number;
  readonly accountId: string;
  readonly direction: 'debit' | 'credit';
  readonly amount: Decimal;
  readonly status: 'posted' | 'pending';
  readonly effectiveAt: Instant;
  readonly recordedAt: Instant;
  readonly expiresAt: Instant | null;
}

/** The postings of the log, in log order. */
export function postingFacts(events: readonly RecordedEvent[]): PostingFact[] {
  return events.flatMap((e) => {
    if (e.event.type !== 'TransactionRecorded') return [];
    const t = e.event.data;
    const effectiveAt = parseTimestamp(t.effectiveAt)!;
    const expiresAt = t.expiresAt === null ? null : parseTimestamp(t.expiresAt)!;
    return t.postings.map((p) => ({
      position: e.position, accountId: p.accountId, direction: p.direction, amount: new Decimal(p.amount),
      status: t.status, effectiveAt, recordedAt: e.recordedAt, expiresAt,
    }));
  });
}

const NO_SIDES: Sides = { debits: ZERO, credits: ZERO };

function add(sides: Sides, fact: PostingFact): Sides {
  return fact.direction === 'debit' ? { ...sides, debits: sides.debits.plus(fact.amount) } : { ...sides, credits: sides.credits.plus(fact.amount) };
}

/**
 * Section 4 as a left fold over the postings of `K(position)`, at effective time E: the
 * definition that the database's indexed queries must agree with.
 */
export function foldBalanceParts(facts: readonly PostingFact[], accountId: string, position: number, effectiveAsOf: Instant): BalanceParts {
  return facts.reduce<BalanceParts>((parts, f) => {
    if (f.accountId !== accountId || f.position > position) return parts;
    if (f.status === 'posted') {
      if (f.effectiveAt <= effectiveAsOf) return { ...parts, posted: add(parts.posted, f) };
      if (f.recordedAt <= effectiveAsOf) return { ...parts, scheduled: add(parts.scheduled, f) };
      return parts;
    }
    const knownFrom = f.recordedAt < f.effectiveAt ? f.recordedAt : f.effectiveAt;
    const active = knownFrom <= effectiveAsOf && (f.expiresAt === null || f.expiresAt > effectiveAsOf);
    return active ? { ...parts, pending: add(parts.pending, f) } : parts;
  }, { posted: NO_SIDES, pending: NO_SIDES, scheduled: NO_SIDES });
}
