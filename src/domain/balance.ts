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
  // Most accounts hold nothing and have nothing scheduled: no arithmetic on zeros (a trial balance has thousands).
  const less = (value: Decimal, amount: Decimal) => (amount.isZero() ? value : value.minus(amount));
  const availableBalance = less(less(ledgerBalance, contraSide(parts.pending, normal)), contraSide(parts.scheduled, normal));
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
export function addFacts(
  facts: PostingFact[], events: readonly Pick<RecordedEvent, 'event' | 'position' | 'recordedAt'>[], accountId?: string,
  onResolved: (index: number, before: PostingFact) => void = () => {},
): void {
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
        if (f.status !== 'pending' || f.transactionId !== event.data.holdId) return;
        facts[i] = { ...f, resolution };
        onResolved(i, f);
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
 * and the first effective time it is reached, by folding every posting at every instant where
 * the balance may change: the definition, quadratic in the postings. The noOverdraft check uses
 * `lowestAvailableInWindow`, which must agree with it (test/domain/overdraft-window.unit.test.ts).
 */
export function lowestAvailableByFold(facts: readonly PostingFact[], accountId: string, normal: NormalBalance, from: Instant): { availableBalance: Decimal; effectiveAt: Instant } {
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

/**
 * What the noOverdraft check needs of one account, as of the head: its balance parts at `from`
 * (every posting counted), and the postings whose effect on its available balance may change
 * after `from`. A check from `from` on reads only these, however long the account's history.
 *
 * Or, when `floor` is set, less: a lower bound of the available balance at every effective time
 * from `from` on, as of the head, with `partsAtFrom` and `facts` holding only the postings added
 * to the window since. The store loads such a window when the floor covers everything the batch
 * may take out of the account, so the check passes without reading a single posting after
 * `from`; when it does not, the check cannot decide (`OverdraftFloorTooLow`) and the store loads
 * the whole window instead.
 */
export interface OverdraftWindow {
  readonly from: Instant;
  readonly partsAtFrom: BalanceParts;
  readonly facts: readonly PostingFact[];
  readonly floor: Decimal | null;
}

/** Earlier than any time the ledger holds: a window from here holds every posting. */
export const START_OF_TIME: Instant = -(1n << 62n);

const NO_PARTS: BalanceParts = { posted: NO_SIDES, pending: NO_SIDES, scheduled: NO_SIDES };

/** The window of an account with no postings yet, from the start of time: for a fold from the start of a log, or an account just opened. */
export const wholeHistoryWindow = (): OverdraftWindow => ({ from: START_OF_TIME, partsAtFrom: NO_PARTS, facts: [], floor: null });

/** A window of only a floor: the available balance is at least `floor` at every effective time from `from` on. */
export const floorWindow = (from: Instant, floor: Decimal): OverdraftWindow => ({ from, partsAtFrom: NO_PARTS, facts: [], floor });

const sum = (a: Sides, b: Sides, sign: 1 | -1): Sides => (sign === 1
  ? { debits: a.debits.plus(b.debits), credits: a.credits.plus(b.credits) }
  : { debits: a.debits.minus(b.debits), credits: a.credits.minus(b.credits) });

const combine = (a: BalanceParts, b: BalanceParts, sign: 1 | -1): BalanceParts => ({
  posted: sum(a.posted, b.posted, sign), pending: sum(a.pending, b.pending, sign), scheduled: sum(a.scheduled, b.scheduled, sign),
});

/** The instants after which a posting's effect on the available balance can differ from before. */
function changeTimes(f: PostingFact): Instant[] {
  const knownFrom = earlier(f.recordedAt, f.effectiveAt);
  if (f.status === 'posted') return [knownFrom, f.effectiveAt];
  return [knownFrom, ...(f.expiresAt === null ? [] : [f.expiresAt]), ...(f.resolution === null ? [] : [f.resolution.knownFrom])];
}

/** Whether a posting still matters to a window from `from`: it may change the balance later, or a later post or void may. */
function staysInWindow(f: PostingFact, from: Instant): boolean {
  if (changeTimes(f).some((t) => t > from)) return true;
  return f.status === 'pending' && f.resolution === null && (f.expiresAt === null || f.expiresAt > from);
}

/** A window that `addToWindow` writes into. */
export interface OpenWindow {
  readonly from: Instant;
  partsAtFrom: BalanceParts;
  readonly facts: PostingFact[];
  readonly floor: Decimal | null;
}

/**
 * Adds `events` to the window, in place: their postings on `accountId`, and the posts and voids
 * that resolve its holds. The parts at `from` take in what changed there; a new posting that can
 * change nothing after `from` is kept in the parts only.
 */
export function addToWindow(window: OpenWindow, events: readonly Pick<RecordedEvent, 'event' | 'position' | 'recordedAt'>[], accountId: string): void {
  // Window postings whose hold these events resolve, as they were: their parts at `from` change.
  const resolved = new Map<number, PostingFact>();
  const before = window.facts.length;
  addFacts(window.facts, events, accountId, (index, was) => {
    if (index < before && !resolved.has(index)) resolved.set(index, was);
  });
  const added = window.facts.splice(before);
  const atFrom = (some: readonly PostingFact[]) => foldBalanceParts(some, accountId, Number.MAX_SAFE_INTEGER, window.from);
  const now = [...added, ...[...resolved.keys()].map((i) => window.facts[i]!)];
  window.partsAtFrom = combine(combine(window.partsAtFrom, atFrom(now), 1), atFrom([...resolved.values()]), -1);
  for (const f of added) if (staysInWindow(f, window.from)) window.facts.push(f);
}

/** `addToWindow` on a copy. */
export function windowWith(window: OverdraftWindow, events: readonly Pick<RecordedEvent, 'event' | 'position' | 'recordedAt'>[], accountId: string): OverdraftWindow {
  const copy: OpenWindow = { ...window, facts: [...window.facts] };
  addToWindow(copy, events, accountId);
  return copy;
}

/**
 * How a posting moves the available balance over effective time, as steps: a posted one from
 * when it counts (an outgoing one from when it is known: scheduled, then posted; an incoming one
 * from when it takes effect), a hold's outgoing side while it is active (known, not expired, not
 * yet resolved). Section 4 of the spec, as `foldBalanceParts` folds it.
 */
function availableSteps(f: PostingFact, normal: NormalBalance): { at: Instant; delta: Decimal }[] {
  const outgoing = f.direction !== normal;
  const knownFrom = earlier(f.recordedAt, f.effectiveAt);
  if (f.status === 'posted') return outgoing ? [{ at: knownFrom, delta: f.amount.negated() }] : [{ at: f.effectiveAt, delta: f.amount }];
  if (!outgoing) return [];
  const ends = [f.expiresAt, f.resolution?.knownFrom ?? null].filter((t): t is Instant => t !== null);
  const end = ends.length === 0 ? null : ends.reduce(earlier);
  if (end !== null && end <= knownFrom) return [];
  return end === null ? [{ at: knownFrom, delta: f.amount.negated() }] : [{ at: knownFrom, delta: f.amount.negated() }, { at: end, delta: f.amount }];
}

/**
 * `lowestAvailableByFold` over a window, by a sweep: the available balance at the window's start
 * from its parts, then each step after it in time order. O(n log n) in the window's postings.
 */
export function lowestAvailableInWindow(window: OverdraftWindow, accountId: string, normal: NormalBalance, from: Instant): { availableBalance: Decimal; effectiveAt: Instant } {
  if (from < window.from) throw new Error(`the overdraft check of ${accountId} needs postings from ${from}; its window starts at ${window.from}`);
  if (window.floor !== null) throw new Error(`the overdraft window of ${accountId} holds a floor, not its postings`);
  const changes = stepsAfterFrom(window, accountId, normal);
  changes.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  let available = balanceOf(window.partsAtFrom, normal).availableBalance;
  let i = 0;
  for (; i < changes.length && changes[i]!.at <= from; i++) available = available.plus(changes[i]!.delta);
  let lowest = { availableBalance: available, effectiveAt: from };
  while (i < changes.length) {
    const at = changes[i]!.at;
    for (; i < changes.length && changes[i]!.at === at; i++) available = available.plus(changes[i]!.delta);
    if (available.lessThan(lowest.availableBalance)) lowest = { availableBalance: available, effectiveAt: at };
  }
  return lowest;
}

function stepsAfterFrom(window: OverdraftWindow, accountId: string, normal: NormalBalance): { at: Instant; delta: Decimal }[] {
  return window.facts.flatMap((f) => (f.accountId === accountId ? availableSteps(f, normal) : [])).filter((c) => c.at > window.from);
}

/**
 * For a window with a floor: a lower bound of the available balance at every effective time from
 * the window's start on, with the postings added since. Those count at `from` as they are, and
 * after it for what they may take out only (a hold's release or an incoming posting can only
 * raise the balance, so leaving them out keeps the bound).
 */
export function availableFloorInWindow(window: OverdraftWindow, accountId: string, normal: NormalBalance): Decimal {
  if (window.floor === null) throw new Error(`the overdraft window of ${accountId} holds postings, not a floor`);
  return stepsAfterFrom(window, accountId, normal)
    .reduce((floor, c) => (c.delta.isNegative() ? floor.plus(c.delta) : floor), window.floor.plus(balanceOf(window.partsAtFrom, normal).availableBalance));
}
