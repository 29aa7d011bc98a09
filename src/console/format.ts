// Formatting without the DOM (unit-tested under Node): times in the ledger's timezone with the
// API's microseconds kept, and coordinates for the plots. Amounts are never formatted here: the
// console shows the API's strings as they are.

const UTC_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;

/** Seconds since the epoch for a plot coordinate, microseconds included (a coordinate, never shown). */
export function timeSeconds(timestamp: string): number {
  const match = UTC_TIMESTAMP.exec(timestamp);
  if (!match) return Date.parse(timestamp) / 1000;
  return Date.parse(`${match[1]}Z`) / 1000 + Number(`0.${match[2] ?? '0'}`);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * "2026-03-01 10:00:00.000000 UTC" for "2026-03-01T10:00:00.000000Z" in UTC; the wall-clock time
 * in `timeZone` with the API's fraction digits, and the zone's name. A string that is not an API
 * timestamp comes back as it is.
 */
export function formatInstant(timestamp: string, timeZone: string): string {
  const match = UTC_TIMESTAMP.exec(timestamp);
  if (!match) return timestamp;
  const parts = Object.fromEntries(formatterFor(timeZone).formatToParts(new Date(`${match[1]}Z`)).map((p) => [p.type, p.value]));
  const fraction = match[2] ? `.${match[2]}` : '';
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}${fraction} ${parts.timeZoneName}`;
}

/** A UTC timestamp for an instant given in seconds, to the minute: what dragging the cross-hair sets E to. */
export function minuteTimestamp(seconds: number): string {
  const ms = Math.round(seconds / 60) * 60_000;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
