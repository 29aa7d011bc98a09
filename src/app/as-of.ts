import { isRejection, reject, type Rejection } from '../domain/rejection.ts';
import { endOfDay, type Instant, type PlainDate } from '../domain/time.ts';
import type { LedgerStore, ReadAt, ReadPoint } from './ports.ts';

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

/** The recorded coordinate a read asks for (none: now), or the refusal of asking for both. */
export function readAtOf(input: AsOfInput): ReadAt | Rejection {
  if (input.recordedAsOf !== undefined && input.recordedAsOfPosition !== undefined) {
    return reject('VALIDATION_FAILED', 'Give recordedAsOf or recordedAsOfPosition, not both.', [
      { path: 'recordedAsOfPosition', message: 'not with recordedAsOf' },
    ]);
  }
  return input.recordedAsOfPosition !== undefined ? { position: input.recordedAsOfPosition } : { recordedAsOf: input.recordedAsOf };
}

/** The effective time a read asks for, on a ledger of the given timezone; undefined: now. */
export function effectiveInstantOf(input: AsOfInput, timezone: string): Instant | undefined {
  const e = input.effectiveAsOf;
  return e === undefined || typeof e === 'bigint' ? e : endOfDay(e.date, timezone);
}

/**
 * The read's resolved point, from the point the database found for `at`: refused at a position
 * past the ledger's head; `effectiveAt` undefined reads as of now.
 */
export function asOfAt(at: ReadAt, point: ReadPoint, effectiveAt: Instant | undefined): AsOf | Rejection {
  if (at.position !== undefined && at.position > 0 && point.recordedAt === null) {
    return reject('VALIDATION_FAILED', `Position ${at.position} is past the ledger's head.`, [
      { path: 'recordedAsOfPosition', message: 'past the head' },
    ]);
  }
  return { position: point.position, recordedAt: point.recordedAt, effectiveAt: effectiveAt ?? nowAfter(point) };
}

/** Resolves the coordinates of a read on a ledger of the given timezone. */
export async function resolveAsOf(store: LedgerStore, ledgerId: string, timezone: string, input: AsOfInput): Promise<AsOf | Rejection> {
  const at = readAtOf(input);
  if (isRejection(at)) return at;
  const point = at.position !== undefined
    ? { position: at.position, ...(await store.positionInfo(ledgerId, at.position)) }
    : await store.readPoint(ledgerId, at.recordedAsOf);
  return asOfAt(at, point, effectiveInstantOf(input, timezone));
}

/**
 * "Now" for a read: the database's clock, or the recorded time of the last event read if that is
 * later (an append's recorded time may lead the clock by a few milliseconds while it commits:
 * src/adapters/db/recorded-clock.ts), so that a read as of now counts everything it sees.
 */
function nowAfter(point: ReadPoint): Instant {
  return point.recordedAt !== null && point.recordedAt > point.now ? point.recordedAt : point.now;
}
