import { addDays, type PlainDate } from './time.ts';

export type Interval = 'day' | 'week' | 'month';

export interface Period {
  readonly start: PlainDate;
  /** Inclusive. */
  readonly end: PlainDate;
}

function firstOfNextMonth(date: PlainDate): PlainDate {
  const [year, month] = date.split('-').map(Number) as [number, number];
  const [y, m] = month === 12 ? [year + 1, 1] : [year, month + 1];
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-01`;
}

/**
 * The periods of a balance history covering `from` to `to`: days; weeks of seven days counted
 * from `from`; or calendar months, the first one starting on the first of `from`'s month.
 * Stops after `max` periods; the caller refuses a range that needs more.
 */
export function periodsCovering(from: PlainDate, to: PlainDate, interval: Interval, max: number): Period[] {
  const periods: Period[] = [];
  let start = interval === 'month' ? `${from.slice(0, 8)}01` : from;
  while (start <= to && periods.length < max) {
    const next = interval === 'day' ? addDays(start, 1) : interval === 'week' ? addDays(start, 7) : firstOfNextMonth(start);
    periods.push({ start, end: addDays(next, -1) });
    start = next;
  }
  return periods;
}
