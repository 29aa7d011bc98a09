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
  readonly transactionId: string;
  readonly accountId: string;
  readonly direction: 'debit' | 'credit';
  readonly amount: Decimal;
  readonly status: 'posted' | 'pending';
  readonly effectiveAt: Instant;
  readonly recordedAt: Instant;
  readonly expiresAt: Instant | null;
  /** For a hold's posting: the post or void that resolved it, where it is in the log and when it is known from. */
  readonly resolution: { readonly position: number; readonly knownFrom: Instant } | null;
}

const earlier = (a: Instant, b: Instant) => (a < b ? a : b);

/** The postings of the log, in log order: transactions', holds' and captures'. */
export function postingFacts(events: readonly RecordedEvent[]): PostingFact[] {
  return appendFacts([], events);
}

/**
 * `facts` (earlier postings) followed by those of `events`, whose posts and voids also resolve
 * earlier holds; only the postings on `accountId`, when one is given.
 */
export function appendFacts(earlierFacts: readonly PostingFact[], events: readonly Pick<RecordedEvent, 'event' | 'position' | 'recordedAt'>[], accountId?: string): PostingFact[] {
  const facts = [...earlierFacts];
  addFacts(facts, events, accountId);
  return facts;
}

/** `appendFacts` in place, for a fold that owns `facts`. */
export function addFacts(facts: PostingFact[], events: readonly Pick<RecordedEvent, 'event' | 'position' | 'recordedAt'>[], accountId?: string): void {
  const mine = (p: { readonly accountId: string }) => accountId === undefined || p.accountId === accountId;
  for (const e of events) {
    const { event } = e;
    if (event.type === 'TransactionRecorded') {
      const t = event.data;
      const effectiveAt = parseTimestamp(t.effectiveAt)!;
      const expiresAt = t.expiresAt === null ? null : parseTimestamp(t.expiresAt)!;
      for (const p of t.postings.filter(mine)) {
        facts.push({
          position: e.position, transactionId: t.id, accountId: p.accountId, direction: p.direction, amount: new Decimal(p.amount),
          status: t.status, effectiveAt, recordedAt: e.recordedAt, expiresAt, resolution: null,
        });
      }
    } else if (event.type === 'HoldPosted' || event.type === 'HoldVoided') {
      const effectiveAt = parseTimestamp(event.data.effectiveAt)!;
      const resolution = { position: e.position, knownFrom: earlier(e.recordedAt, effectiveAt) };
      facts.forEach((f, i) => {
        if (f.status === 'pending' && f.transactionId === event.data.holdId) facts[i] = { ...f, resolution };
      });
      if (event.type === 'HoldPosted') {
        for (const p of event.data.postings.filter(mine)) {
          facts.push({
            position: e.position, transactionId: event.data.holdId, accountId: p.accountId, direction: p.direction,
            amount: new Decimal(p.amount), status: 'posted', effectiveAt, recordedAt: e.recordedAt, expiresAt: null, resolution: null,
          });
        }
      }
    }
  }
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
    const resolved = f.resolution !== null && f.resolution.position <= position && f.resolution.knownFrom <= effectiveAsOf;
    const active = !resolved && earlier(f.recordedAt, f.effectiveAt) <= effectiveAsOf && (f.expiresAt === null || f.expiresAt > effectiveAsOf);
    return active ? { ...parts, pending: add(parts.pending, f) } : parts;
  }, { posted: NO_SIDES, pending: NO_SIDES, scheduled: NO_SIDES });
}

/**
 * The lowest available balance at any effective time from `from` on, as of everything in `facts`,
 * and the first effective time it is reached. The balance only changes where a posting takes
 * effect, becomes known, expires or is resolved, so those instants are the only ones to look at.
 */
export function lowestAvailableFrom(facts: readonly PostingFact[], accountId: string, normal: NormalBalance, from: Instant): { availableBalance: Decimal; effectiveAt: Instant } {
  const instants = new Set<Instant>([from]);
  for (const f of facts) {
    if (f.accountId !== accountId) continue;
    for (const t of [f.effectiveAt, f.recordedAt, f.expiresAt, f.resolution?.knownFrom]) if (t != null && t > from) instants.add(t);
  }
  let lowest: { availableBalance: Decimal; effectiveAt: Instant } | undefined;
  for (const effectiveAt of [...instants].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const { availableBalance } = balanceOf(foldBalanceParts(facts, accountId, Number.MAX_SAFE_INTEGER, effectiveAt), normal);
    if (!lowest || availableBalance.lessThan(lowest.availableBalance)) lowest = { availableBalance, effectiveAt };
  }
  return lowest!;
}
