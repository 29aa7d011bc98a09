import { reject, type Rejection } from '../domain/rejection.ts';
import { endOfDay, type Instant, type PlainDate } from '../domain/time.ts';
import type { LedgerStore } from './ports.ts';

/** The coordinates of a read (spec section 3), as parsed at the edge. */
export interface AsOfInput {
  readonly recordedAsOf?: Instant | undefined;
  readonly recordedAsOfPosition?: number | undefined;
  /** A timestamp, or a plain date read as the end of that day in the ledger's timezone. */
  readonly effectiveAsOf?: Instant | { readonly date: PlainDate } | undefined;
}

/** A read's resolved point: a log prefix (`position`) and an effective time. */
export interface AsOf {
  readonly position: number;
  /** The recorded time of the event at `position`; null before the first event. */
  readonly recordedAt: Instant | null;
  readonly effectiveAt: Instant;
}

/** Resolves the coordinates of a read on a ledger of the given timezone. */
export async function resolveAsOf(store: LedgerStore, ledgerId: string, timezone: string, input: AsOfInput): Promise<AsOf | Rejection> {
  if (input.recordedAsOf !== undefined && input.recordedAsOfPosition !== undefined) {
    return reject('VALIDATION_FAILED', 'Give recordedAsOf or recordedAsOfPosition, not both.', [
      { path: 'recordedAsOfPosition', message: 'not with recordedAsOf' },
    ]);
  }
  let point: { position: number; recordedAt: Instant | null; now: Instant };
  if (input.recordedAsOfPosition !== undefined) {
    const info = await store.positionInfo(ledgerId, input.recordedAsOfPosition);
    if (input.recordedAsOfPosition > 0 && info.recordedAt === null) {
      return reject('VALIDATION_FAILED', `Position ${input.recordedAsOfPosition} is past the ledger's head.`, [
        { path: 'recordedAsOfPosition', message: 'past the head' },
      ]);
    }
    point = { position: input.recordedAsOfPosition, ...info };
  } else {
    point = await store.readPoint(ledgerId, input.recordedAsOf);
  }
  const e = input.effectiveAsOf;
  const effectiveAt = e === undefined ? nowAfter(point) : typeof e === 'bigint' ? e : endOfDay(e.date, timezone);
  return { position: point.position, recordedAt: point.recordedAt, effectiveAt };
}

/**
 * "Now" for a read: the database's clock, or the recorded time of the last event read if that is
 * later (an append's recorded time may lead the clock by a few milliseconds while it commits:
 * src/adapters/db/recorded-clock.ts), so that a read as of now counts everything it sees.
 */
function nowAfter(point: { recordedAt: Instant | null; now: Instant }): Instant {
  return point.recordedAt !== null && point.recordedAt > point.now ? point.recordedAt : point.now;
}
