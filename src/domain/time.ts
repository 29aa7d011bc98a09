/**
 * Time on both axes, in microseconds since the Unix epoch (UTC), as a bigint: a JS `Date` keeps
 * only milliseconds, and the spec promises that every returned timestamp round-trips exactly.
 */
export type Instant = bigint;

/** A calendar date `YYYY-MM-DD`, read in a ledger's timezone. */
export type PlainDate = string;

const MICROS_PER_SECOND = 1_000_000n;
const MICROS_PER_DAY = 86_400n * MICROS_PER_SECOND;
export const MIN_YEAR = 1900;
export const MAX_YEAR = 9999;

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const DB_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?([+-])(\d{2})(?::(\d{2}))?$/;
const PLAIN_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isValidDate(year: number, month: number, day: number): boolean {
  return (
    year >= MIN_YEAR && year <= MAX_YEAR && month >= 1 && month <= 12 &&
    day >= 1 && day <= daysInMonth(year, month)
  );
}

/** Days from 1970-01-01 to the given civil date (proleptic Gregorian). */
function daysFromCivil(year: number, month: number, day: number): bigint {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return BigInt(era * 146097 + dayOfEra - 719468);
}

function civilFromDays(days: bigint): { year: number; month: number; day: number } {
  const z = Number(days) + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: era * 400 + yearOfEra + (month <= 2 ? 1 : 0), month, day };
}

function instantFrom(
  parts: { year: number; month: number; day: number; hour: number; minute: number; second: number },
  fraction: string | undefined,
  offsetMinutes: number,
): Instant {
  const seconds =
    daysFromCivil(parts.year, parts.month, parts.day) * 86_400n +
    BigInt(parts.hour * 3600 + parts.minute * 60 + parts.second - offsetMinutes * 60);
  const micros = BigInt((fraction ?? '').padEnd(6, '0'));
  return seconds * MICROS_PER_SECOND + micros;
}

function withinRange(t: Instant): boolean {
  return t >= daysFromCivil(MIN_YEAR, 1, 1) * MICROS_PER_DAY && t < daysFromCivil(MAX_YEAR + 1, 1, 1) * MICROS_PER_DAY;
}

/**
 * Parses an RFC 3339 timestamp with an explicit offset and at most 6 fraction digits.
 * Refuses impossible dates, leap seconds and years outside 1900 to 9999 (also after applying the offset).
 */
export function parseTimestamp(text: string): Instant | undefined {
  const m = TIMESTAMP.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (!isValidDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (!m[8]) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const t = instantFrom({ year, month, day, hour, minute, second }, m[7], offsetMinutes);
  return withinRange(t) ? t : undefined;
}

/** Reads PostgreSQL's text output of a timestamptz (session TimeZone UTC, ISO DateStyle). */
export function parseDbTimestamp(text: string): Instant {
  const m = DB_TIMESTAMP.exec(text);
  if (!m) throw new Error(`unexpected timestamptz text from the database: ${text}`);
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const offsetMinutes = (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10] ?? '0'));
  return instantFrom({ year, month, day, hour, minute, second }, m[7], offsetMinutes);
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** `YYYY-MM-DDTHH:MM:SS.ffffffZ`: UTC with exactly six fraction digits. */
export function formatInstant(t: Instant): string {
  const days = t >= 0n ? t / MICROS_PER_DAY : -((-t + MICROS_PER_DAY - 1n) / MICROS_PER_DAY);
  const microsOfDay = t - days * MICROS_PER_DAY;
  const { year, month, day } = civilFromDays(days);
  const secondsOfDay = Number(microsOfDay / MICROS_PER_SECOND);
  const micros = Number(microsOfDay % MICROS_PER_SECOND);
  const hh = Math.floor(secondsOfDay / 3600);
  const mm = Math.floor((secondsOfDay % 3600) / 60);
  const ss = secondsOfDay % 60;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}.${pad(micros, 6)}Z`;
}

export function parsePlainDate(text: string): PlainDate | undefined {
  const m = PLAIN_DATE.exec(text);
  if (!m) return undefined;
  return isValidDate(Number(m[1]), Number(m[2]), Number(m[3])) ? text : undefined;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * Why a date or timestamp that has the right shape names a day that does not exist
 * (`2026-02-30`, month 13, day 00), or undefined when its date part is a real day or it has another shape.
 */
export function impossibleDateReason(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:$|[Tt])/.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = `${m[1]}-${m[2]}-${m[3]}`;
  if (month < 1 || month > 12) return `${date} is not a date: there is no month ${m[2]}`;
  if (day < 1 || day > daysInMonth(year, month)) return `${date} is not a date: ${MONTHS[month - 1]} ${m[1]} has ${daysInMonth(year, month)} days`;
  return undefined;
}

export function isValidTimeZone(timeZone: string): boolean {
  // Intl also takes bare offsets such as "+14:00", which are not names of the IANA database.
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(timeZone)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock fields of an instant in a timezone, at second precision. */
function wallClock(t: Instant, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const seconds = t >= 0n ? t / MICROS_PER_SECOND : -((-t + MICROS_PER_SECOND - 1n) / MICROS_PER_SECOND);
  const parts = formatterFor(timeZone).formatToParts(new Date(Number(seconds) * 1000));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') };
}

/** The offset of a timezone from UTC at an instant, in microseconds. */
function offsetAt(t: Instant, timeZone: string): bigint {
  const w = wallClock(t, timeZone);
  const asUtc = instantFrom(w, undefined, 0);
  const whole = t - (((t % MICROS_PER_SECOND) + MICROS_PER_SECOND) % MICROS_PER_SECOND);
  return asUtc - whole;
}

/** The first instant of a calendar date in a timezone (the first that exists, across DST gaps). */
export function startOfDay(date: PlainDate, timeZone: string): Instant {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const localMidnight = daysFromCivil(year, month, day) * MICROS_PER_DAY;
  // Two passes settle the offset. Where midnight falls in a DST gap the second lands on the day
  // before, and the offset in force before the gap gives the moment the day begins.
  const first = localMidnight - offsetAt(localMidnight, timeZone);
  const second = localMidnight - offsetAt(first, timeZone);
  return dateOf(second, timeZone) < date ? localMidnight - offsetAt(second, timeZone) : second;
}

/** Time zones are at most 14 hours ahead of UTC (Kiribati): no day starts earlier than this before its UTC midnight. */
const MOST_AHEAD = 14n * 3600n * MICROS_PER_SECOND;

/** No earlier than the start of `date` in any time zone: for when the zone is not known yet. */
export function earliestStartOfDay(date: PlainDate): Instant {
  return startOfDay(date, 'UTC') - MOST_AHEAD;
}

/** The last microsecond of a calendar date in a timezone (inclusive end of day). */
export function endOfDay(date: PlainDate, timeZone: string): Instant {
  return startOfDay(nextDate(date), timeZone) - 1n;
}

/** The calendar date `days` after (or before, when negative) `date`. */
export function addDays(date: PlainDate, days: number): PlainDate {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const { year: y, month: m, day: d } = civilFromDays(daysFromCivil(year, month, day) + BigInt(days));
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

export function nextDate(date: PlainDate): PlainDate {
  return addDays(date, 1);
}

/** The calendar date of an instant in a timezone. */
export function dateOf(t: Instant, timeZone: string): PlainDate {
  const w = wallClock(t, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month, 2)}-${pad(w.day, 2)}`;
}

/** A timestamp, or a plain date read as the end of that day (inclusive), as `effectiveAsOf` and `through` are. */
export function parseInstantOrEndOfDay(text: string, timeZone: string): Instant | undefined {
  const date = parsePlainDate(text);
  return date ? inRangeOrUndefined(endOfDay(date, timeZone)) : parseTimestamp(text);
}

/** A timestamp, or a plain date read as the start of that day, as an `effectiveAt` is. */
export function parseInstantOrStartOfDay(text: string, timeZone: string): Instant | undefined {
  const date = parsePlainDate(text);
  return date ? inRangeOrUndefined(startOfDay(date, timeZone)) : parseTimestamp(text);
}

// A plain date at the edge of 1900 to 9999 can start or end outside it in the ledger's timezone,
// and such an instant could not be written back as a timestamp the service accepts.
function inRangeOrUndefined(t: Instant): Instant | undefined {
  return withinRange(t) ? t : undefined;
}
