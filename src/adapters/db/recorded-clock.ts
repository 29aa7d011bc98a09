import type { Instant } from '../../domain/time.ts';

/** This process's clock in microseconds since the epoch. */
export function processNow(): Instant {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
}

const SAMPLES = 64;
/** Added to the lead the recent appends needed. */
const PAD = 500n;
/** The lead before anything is measured, and the most it grows to. */
const FIRST_LEAD = 2_000n;
const MAX_LEAD = 100_000n;
/** The longest an answer waits for its recorded time to pass. */
const MAX_WAIT_MS = 50;

/**
 * Recorded times for appends in one round trip, which are chosen by the process before the
 * ledger's lock is taken: a little ahead of the database's clock, by the lead that the recent
 * appends needed to be still ahead of it when the lock was granted (what `ledger_append_check`
 * requires). An answer then waits, if need be, until the database's clock has passed its recorded
 * time, so that a client asking "as of now" after it always sees its write.
 */
export class RecordedClock {
  /** How far the database's clock at the lock was ahead of this process's when the time was chosen. */
  private readonly needed: bigint[] = [];
  private lead = FIRST_LEAD;
  /** The database's clock less this process's, from `calibrate`; null before the first. */
  private offset: bigint | null = null;

  /** A recorded time for an append chosen now, after `after` (the head's). */
  choose(after: Instant): { recordedAt: Instant; chosenAt: Instant } {
    const chosenAt = processNow();
    const ahead = chosenAt + this.lead;
    return { recordedAt: ahead > after ? ahead : after + 1n, chosenAt };
  }

  /** The database's clock when the append's lock was granted (`ledger_append_check`'s answer or detail). */
  observe(chosenAt: Instant, lockedAt: Instant, tooLate: boolean): void {
    const needed = lockedAt - chosenAt;
    this.needed.push(tooLate ? needed + 2n * PAD : needed);
    if (this.needed.length > SAMPLES) this.needed.shift();
    const most = this.needed.reduce((a, b) => (a > b ? a : b));
    const lead = most + PAD;
    this.lead = lead > MAX_LEAD ? MAX_LEAD : lead;
  }

  /** A sample of the database's clock, read between `sentAt` and `receivedAt` of this process's. */
  calibrate(sentAt: Instant, databaseNow: Instant, receivedAt: Instant): void {
    this.offset = databaseNow - (sentAt + receivedAt) / 2n;
  }

  get calibrated(): boolean {
    return this.offset !== null;
  }

  /** Resolves once the database's clock is past `recordedAt`, as far as this process can tell. */
  async passed(recordedAt: Instant): Promise<void> {
    const remaining = recordedAt - (processNow() + (this.offset ?? 0n));
    if (remaining <= 0n) return;
    const ms = Math.min(MAX_WAIT_MS, Math.ceil(Number(remaining) / 1000));
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
}
