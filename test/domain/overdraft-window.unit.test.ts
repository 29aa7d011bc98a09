import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  availableFloorInWindow, floorWindow, foldBalanceParts, lowestAvailableByFold, lowestAvailableInWindow, postingFacts, windowWith,
  type OverdraftWindow, type PostingFact,
} from '../../src/domain/balance.ts';
import { Decimal, ZERO } from '../../src/domain/money.ts';
import type { LedgerEvent, NormalBalance, RecordedEvent } from '../../src/domain/events.ts';
import { formatInstant, parseTimestamp, type Instant } from '../../src/domain/time.ts';

// The noOverdraft check reads a window of an account's history: its balance parts at the
// window's start and the postings that may change its available balance after it (what the
// store loads: sql/functions/ledger_overdraft_windows.sql). Over random histories of postings,
// holds, expiries, captures and voids, backdated and future-dated, the lowest available balance
// from any time on must be what folding every posting at every instant gives, whether the window
// was loaded whole or grown event by event.

const HOUR = 3_600_000_000n;
const T0 = parseTimestamp('2026-03-01T00:00:00Z')!;
const ACCOUNT = 'wallet';
const at = (hours: number) => T0 + BigInt(hours) * HOUR;

type Step =
  | { kind: 'record'; hold: boolean; outgoing: boolean; cents: number; effectiveHours: number; expiresInHours: number | null }
  | { kind: 'post' | 'void'; target: number; percent: number; effectiveHours: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('record' as const), hold: fc.boolean(), outgoing: fc.boolean(), cents: fc.integer({ min: 1, max: 10_000 }),
    effectiveHours: fc.integer({ min: -72, max: 72 }), expiresInHours: fc.option(fc.integer({ min: 1, max: 96 })),
  }),
  fc.record({ kind: fc.constantFrom('post' as const, 'void' as const), target: fc.nat(), percent: fc.integer({ min: 1, max: 100 }), effectiveHours: fc.integer({ min: -24, max: 48 }) }),
);

/** A history of one account's events, recorded an hour apart from T0, with the holds' resolutions well formed. */
function historyOf(steps: readonly Step[], normal: NormalBalance): RecordedEvent[] {
  const events: RecordedEvent[] = [];
  const open: { id: string; direction: 'debit' | 'credit'; amount: string }[] = [];
  const other = normal === 'debit' ? 'credit' : 'debit';
  steps.forEach((s, i) => {
    const recordedAt = at(i);
    const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
    let event: LedgerEvent | null = null;
    if (s.kind === 'record') {
      const direction = s.outgoing ? other : normal;
      const effectiveAt = at(i + s.effectiveHours);
      const id = `t${i}`;
      const amount = money(s.cents);
      event = {
        type: 'TransactionRecorded',
        data: {
          id, status: s.hold ? 'pending' : 'posted', effectiveAt: formatInstant(effectiveAt),
          expiresAt: s.hold && s.expiresInHours !== null ? formatInstant(effectiveAt + BigInt(s.expiresInHours) * HOUR) : null,
          description: '', metadata: {}, reverses: null, corrects: null, reason: null,
          postings: [{ accountId: ACCOUNT, direction, amount, currency: 'USD' }, { accountId: 'other', direction: direction === 'debit' ? 'credit' : 'debit', amount, currency: 'USD' }],
        },
      } as LedgerEvent;
      if (s.hold) open.push({ id, direction, amount });
    } else if (open.length > 0) {
      const [hold] = open.splice(s.target % open.length, 1);
      const effectiveAt = formatInstant(at(i + s.effectiveHours));
      const captured = money(Math.max(1, Math.floor((Math.round(Number(hold!.amount) * 100) * s.percent) / 100)));
      event = s.kind === 'void'
        ? { type: 'HoldVoided', data: { holdId: hold!.id, id: null, effectiveAt, reason: null } } as LedgerEvent
        : { type: 'HoldPosted', data: { holdId: hold!.id, id: `c${i}`, effectiveAt, reason: null, postings: [{ accountId: ACCOUNT, direction: hold!.direction, amount: captured, currency: 'USD' }] } } as LedgerEvent;
    }
    if (event) events.push({ ledgerId: 'l', position: events.length + 1, recordedAt, actor: 'a', requestId: 'r', prevHash: '', hash: '', event });
  });
  return events;
}

/** The window the store loads for `from`: the parts at `from`, posted postings effective after it, and holds that may be active after it. */
function loadedWindow(facts: readonly PostingFact[], from: Instant): OverdraftWindow {
  const mine = facts.filter((f) => f.accountId === ACCOUNT);
  return {
    from,
    floor: null,
    partsAtFrom: foldBalanceParts(mine, ACCOUNT, Number.MAX_SAFE_INTEGER, from),
    facts: mine.filter((f) => (f.status === 'posted'
      ? f.effectiveAt > from
      : (f.expiresAt === null || f.expiresAt > from) && (f.resolution === null || f.resolution.knownFrom > from))),
  };
}

const scenario = fc.record({
  steps: fc.array(step, { minLength: 1, maxLength: 30 }),
  normal: fc.constantFrom('debit' as const, 'credit' as const),
  windowHours: fc.integer({ min: -80, max: 40 }),
  laterHours: fc.integer({ min: 0, max: 60 }),
  split: fc.double({ min: 0, max: 1, noNaN: true }),
});

describe('the noOverdraft window', () => {
  it('gives the lowest available balance that folding every posting gives, from any time in it', () => {
    fc.assert(fc.property(scenario, ({ steps, normal, windowHours, laterHours }) => {
      const facts = postingFacts(historyOf(steps, normal));
      const from = at(windowHours);
      const check = from + BigInt(laterHours) * HOUR;
      expect(lowestAvailableInWindow(loadedWindow(facts, from), ACCOUNT, normal, check)).toEqual(lowestAvailableByFold(facts, ACCOUNT, normal, check));
    }), { numRuns: 2000 });
  });

  it('grows event by event to the same answers as one loaded with every event', () => {
    fc.assert(fc.property(scenario, ({ steps, normal, windowHours, laterHours, split }) => {
      const events = historyOf(steps, normal);
      const cut = Math.floor(split * events.length);
      const from = at(windowHours);
      let grown = loadedWindow(postingFacts(events.slice(0, cut)), from);
      for (const e of events.slice(cut)) grown = windowWith(grown, [e], ACCOUNT);
      const check = from + BigInt(laterHours) * HOUR;
      const all = postingFacts(events);
      expect(grown.partsAtFrom).toEqual(foldBalanceParts(all, ACCOUNT, Number.MAX_SAFE_INTEGER, from));
      expect(lowestAvailableInWindow(grown, ACCOUNT, normal, check)).toEqual(lowestAvailableByFold(all, ACCOUNT, normal, check));
    }), { numRuns: 2000 });
  });

  it('with a floor, grows event by event to a bound that the lowest available balance never goes below', () => {
    fc.assert(fc.property(scenario, ({ steps, normal, windowHours, split }) => {
      const events = historyOf(steps, normal);
      const cut = Math.floor(split * events.length);
      const from = at(windowHours);
      // The tightest floor there is: the lowest available balance from `from` on, before the cut.
      let grown = floorWindow(from, lowestAvailableByFold(postingFacts(events.slice(0, cut)), ACCOUNT, normal, from).availableBalance);
      for (const e of events.slice(cut)) grown = windowWith(grown, [e], ACCOUNT);
      const lowest = lowestAvailableByFold(postingFacts(events), ACCOUNT, normal, from).availableBalance;
      expect(availableFloorInWindow(grown, ACCOUNT, normal).lessThanOrEqualTo(lowest)).toBe(true);
      if (cut === events.length) expect(availableFloorInWindow(grown, ACCOUNT, normal)).toEqual(lowest);
    }), { numRuns: 2000 });
  });

  it("the store's floor (in by the start of the day, less all that went out and every hold that may be active) is a floor", () => {
    // sql/functions/ledger_overdraft_windows.sql: ledger_overdraft_floor, as the domain would say it.
    const DAY = 24n * HOUR;
    fc.assert(fc.property(scenario, ({ steps, normal, windowHours }) => {
      const facts = postingFacts(historyOf(steps, normal));
      const from = at(windowHours);
      const startOfDay = from - (((from % DAY) + DAY) % DAY);
      const sum = (some: readonly PostingFact[]) => some.reduce((total, f) => total.plus(f.amount), ZERO);
      const mine = facts.filter((f) => f.accountId === ACCOUNT);
      const cameIn = sum(mine.filter((f) => f.status === 'posted' && f.direction === normal && f.effectiveAt <= startOfDay));
      const wentOut = sum(mine.filter((f) => f.status === 'posted' && f.direction !== normal));
      const holds = sum(mine.filter((f) => f.status === 'pending' && f.direction !== normal && (f.expiresAt === null || f.expiresAt > from)
        && (f.resolution === null || f.resolution.knownFrom > from)));
      const floor: Decimal = cameIn.minus(wentOut).minus(holds);
      expect(floor.lessThanOrEqualTo(lowestAvailableByFold(facts, ACCOUNT, normal, from).availableBalance)).toBe(true);
    }), { numRuns: 2000 });
  });

  it('refuses to answer from before its start: that is a programmer error, not a balance', () => {
    const window = loadedWindow([], at(10));
    expect(() => lowestAvailableInWindow(window, ACCOUNT, 'credit', at(9))).toThrow(/window starts/);
  });
});
