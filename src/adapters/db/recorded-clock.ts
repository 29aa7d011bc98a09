import type { Instant } from '../../domain/time.ts';

/** This process's clock in microseconds since the epoch. */
export function processNow(): Instant {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
}

const SAMPLES = 64;
/** Added to the most lead that the recent appends needed. */
const PAD = 300n;
/** The lead before anything is measured, and the most it grows to. */
const FIRST_LEAD = 2_000n;
const MAX_LEAD = 20_000n;

/**
 * Recorded times for appends in one round trip, which the process chooses before the ledger's
 * lock is taken: a little ahead of the database's clock, by the most lead that
 * the recent appends needed to be still ahead of it when the lock was granted (what
 * `ledger_append_check` requires; an append that was not is decided again). The lead learns the
 * time to the lock (a round trip, and the commit ahead of it) and any offset between the clocks.
 */
export class RecordedClock {
  /** How far the database's clock at the lock was past this process's clock when the time was chosen. */
  private readonly needed: bigint[] = [];
  private lead = FIRST_LEAD;

  /** A recorded time for an append chosen now, after `after` (the head's). */
  choose(after: Instant): { recordedAt: Instant; chosenAt: Instant } {
    const chosenAt = processNow();
    const ahead = chosenAt + this.lead;
    return { recordedAt: ahead > after ? ahead : after + 1n, chosenAt };
  }

  /** The database's clock once the append's lock was granted (`ledger_append_check`'s answer, or its detail when `tooLate`). */
  observe(chosenAt: Instant, lockedAt: Instant, tooLate: boolean): void {
    const needed = lockedAt - chosenAt;
    this.needed.push(tooLate ? needed + PAD : needed);
    if (this.needed.length > SAMPLES) this.needed.shift();
    const lead = this.needed.reduce((a, b) => (a > b ? a : b)) + PAD;
    this.lead = lead > MAX_LEAD ? MAX_LEAD : lead;
  }
}
