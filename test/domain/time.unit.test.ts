import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dateOf,
  endOfDay,
  formatInstant,
  isValidTimeZone,
  nextDate,
  parseDbTimestamp,
  parseInstantOrEndOfDay,
  parseInstantOrStartOfDay,
  parsePlainDate,
  parseTimestamp,
  startOfDay,
  type Instant,
} from '../../src/domain/time.ts';

/** Parses a timestamp the test knows to be valid and formats it back in UTC. */
function utc(text: string): string {
  const t = parseTimestamp(text);
  if (t === undefined) throw new Error(`test fixture is not a valid timestamp: ${text}`);
  return formatInstant(t);
}

/** The instant of a valid timestamp, for expectations. */
function at(text: string): Instant {
  const t = parseTimestamp(text);
  if (t === undefined) throw new Error(`test fixture is not a valid timestamp: ${text}`);
  return t;
}

const MIN_INSTANT = at('1900-01-01T00:00:00Z');
const MAX_INSTANT = at('9999-12-31T23:59:59.999999Z');
const ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata', 'America/Santiago', 'Europe/London', 'Australia/Lord_Howe', 'Pacific/Kiritimati', 'America/Havana'];

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

describe('parseTimestamp', () => {
  describe('accepts RFC 3339 with an explicit offset', () => {
    it.each([
      ['2026-03-31T23:59:59Z', '2026-03-31T23:59:59.000000Z'],
      ['2026-03-31T23:59:59.123456Z', '2026-03-31T23:59:59.123456Z'],
      ['2026-03-01T10:00:00+00:00', '2026-03-01T10:00:00.000000Z'],
      ['2026-03-01T10:00:00-00:00', '2026-03-01T10:00:00.000000Z'],
      ['2026-03-01T10:00:00+05:30', '2026-03-01T04:30:00.000000Z'],
      ['2026-03-01T10:00:00-08:00', '2026-03-01T18:00:00.000000Z'],
      ['2026-03-01T00:30:00+01:00', '2026-02-28T23:30:00.000000Z'],
      ['2024-03-01T00:30:00+01:00', '2024-02-29T23:30:00.000000Z'],
      ['2026-12-31T23:30:00-01:00', '2027-01-01T00:30:00.000000Z'],
      ['2026-03-01T10:00:00+23:59', '2026-02-28T10:01:00.000000Z'],
      ['2026-03-01T10:00:00-23:59', '2026-03-02T09:59:00.000000Z'],
    ])('%s -> %s', (input, expected) => {
      expect(utc(input)).toBe(expected);
    });

    it('accepts lowercase t and z, which RFC 3339 allows', () => {
      expect(utc('2026-03-01t10:00:00z')).toBe('2026-03-01T10:00:00.000000Z');
      expect(utc('2026-03-01t10:00:00.5+01:00')).toBe('2026-03-01T09:00:00.500000Z');
    });

    it.each([
      ['', '000000'],
      ['.1', '100000'],
      ['.12', '120000'],
      ['.123', '123000'],
      ['.1234', '123400'],
      ['.12345', '123450'],
      ['.123456', '123456'],
    ])('accepts %j as fraction (0 to 6 digits) and pads it to .%s', (fraction, micros) => {
      expect(utc(`2026-03-01T10:00:00${fraction}Z`)).toBe(`2026-03-01T10:00:00.${micros}Z`);
    });

    it('keeps single microseconds at both ends of a second', () => {
      expect(utc('2026-03-01T10:00:00.000001Z')).toBe('2026-03-01T10:00:00.000001Z');
      expect(utc('2026-03-01T10:00:00.999999Z')).toBe('2026-03-01T10:00:00.999999Z');
      expect(at('2026-03-01T10:00:00.000001Z') - at('2026-03-01T10:00:00Z')).toBe(1n);
      expect(at('2026-03-01T10:00:01Z') - at('2026-03-01T10:00:00.999999Z')).toBe(1n);
    });

    it('counts microseconds since the Unix epoch', () => {
      expect(parseTimestamp('1970-01-01T00:00:00Z')).toBe(0n);
      expect(parseTimestamp('1970-01-01T00:00:00.000001Z')).toBe(1n);
      expect(parseTimestamp('1969-12-31T23:59:59.999999Z')).toBe(-1n);
      expect(parseTimestamp('2001-09-09T01:46:40Z')).toBe(1_000_000_000_000_000n);
    });

    it('accepts Feb 29 in leap years, 2000 included', () => {
      expect(utc('2024-02-29T12:00:00Z')).toBe('2024-02-29T12:00:00.000000Z');
      expect(utc('2000-02-29T12:00:00Z')).toBe('2000-02-29T12:00:00.000000Z');
      expect(utc('1904-02-29T12:00:00Z')).toBe('1904-02-29T12:00:00.000000Z');
    });

    it('accepts the ends of the 1900 to 9999 range', () => {
      expect(utc('1900-01-01T00:00:00Z')).toBe('1900-01-01T00:00:00.000000Z');
      expect(utc('9999-12-31T23:59:59.999999Z')).toBe('9999-12-31T23:59:59.999999Z');
      expect(utc('1900-01-01T00:30:00-01:00')).toBe('1900-01-01T01:30:00.000000Z');
      expect(utc('9999-12-31T23:30:00+01:00')).toBe('9999-12-31T22:30:00.000000Z');
    });
  });

  describe('rejects', () => {
    it.each([
      ['the empty string', ''],
      ['no offset', '2026-03-01T10:00:00'],
      ['no offset, with fraction', '2026-03-01T10:00:00.123456'],
      ['7 fraction digits', '2026-03-01T10:00:00.1234567Z'],
      ['an empty fraction', '2026-03-01T10:00:00.Z'],
      ['Feb 30', '2026-02-30T10:00:00Z'],
      ['Feb 29 in a non-leap year', '2026-02-29T10:00:00Z'],
      ['Feb 29 in 1900, not a leap year', '1900-02-29T10:00:00Z'],
      ['Feb 29 in 2100, not a leap year', '2100-02-29T10:00:00Z'],
      ['April 31', '2026-04-31T10:00:00Z'],
      ['month 00', '2026-00-10T10:00:00Z'],
      ['month 13', '2026-13-10T10:00:00Z'],
      ['day 00', '2026-03-00T10:00:00Z'],
      ['day 32', '2026-01-32T10:00:00Z'],
      ['a leap second 23:59:60', '2026-12-31T23:59:60Z'],
      ['24:00:00', '2026-03-01T24:00:00Z'],
      ['minute 60', '2026-03-01T10:60:00Z'],
      ['offset hour 24', '2026-03-01T10:00:00+24:00'],
      ['offset minute 60', '2026-03-01T10:00:00+05:60'],
      ['an offset without colon', '2026-03-01T10:00:00+0530'],
      ['an hours-only offset', '2026-03-01T10:00:00+05'],
      ['infinity', 'infinity'],
      ['-infinity', '-infinity'],
      ['year 1899', '1899-12-31T23:59:59.999999Z'],
      ['year 10000', '10000-01-01T00:00:00Z'],
      ['a signed year', '+2026-03-01T10:00:00Z'],
      ['year 0000', '0000-01-01T00:00:00Z'],
      ['a space separator', '2026-03-01 10:00:00Z'],
      ['a space before the offset', '2026-03-01T10:00:00 Z'],
      ['an underscore separator', '2026-03-01_10:00:00Z'],
      ['a plain date', '2026-03-01'],
      ['a date without dashes', '20260301T100000Z'],
      ['one-digit fields', '2026-3-1T10:00:00Z'],
      ['no seconds', '2026-03-01T10:00Z'],
      ['leading white space', ' 2026-03-01T10:00:00Z'],
      ['trailing white space', '2026-03-01T10:00:00Z '],
      ['a trailing newline', '2026-03-01T10:00:00Z\n'],
      ['a comma as decimal mark', '2026-03-01T10:00:00,5Z'],
      ['non-ASCII digits', '２０２６-03-01T10:00:00Z'],
      ['a named zone', '2026-03-01T10:00:00 UTC'],
      ['a number', '1772359200'],
    ])('%s (%j)', (_, input) => {
      expect(parseTimestamp(input)).toBeUndefined();
    });

    it('instants that leave 1900 to 9999 once the offset is applied', () => {
      expect(parseTimestamp('1900-01-01T00:30:00+01:00')).toBeUndefined();
      expect(parseTimestamp('9999-12-31T23:30:00-01:00')).toBeUndefined();
    });

    it('years outside the range even when the offset brings the instant inside', () => {
      expect(parseTimestamp('1899-12-31T23:30:00-01:00')).toBeUndefined();
    });
  });
});

describe('formatInstant', () => {
  it('writes UTC with exactly six fraction digits', () => {
    expect(formatInstant(0n)).toBe('1970-01-01T00:00:00.000000Z');
    expect(formatInstant(1n)).toBe('1970-01-01T00:00:00.000001Z');
    expect(formatInstant(-1n)).toBe('1969-12-31T23:59:59.999999Z');
    expect(formatInstant(1_000_000_000_000_000n)).toBe('2001-09-09T01:46:40.000000Z');
  });

  it('agrees with Date#toISOString over the whole range, down to the microsecond', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: MIN_INSTANT, max: MAX_INSTANT }), (t) => {
        const micros = ((t % 1000n) + 1000n) % 1000n;
        const millis = (t - micros) / 1000n;
        const expected = `${new Date(Number(millis)).toISOString().slice(0, 23)}${pad(Number(micros), 3)}Z`;
        expect(formatInstant(t)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseTimestamp and formatInstant round-trip', () => {
  it('parseTimestamp(formatInstant(t)) === t for every microsecond from 1900 to 9999', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: MIN_INSTANT, max: MAX_INSTANT }), (t) => {
        expect(parseTimestamp(formatInstant(t))).toBe(t);
      }),
      { numRuns: 5000 },
    );
  });

  it('round-trips the first and last representable instants exactly', () => {
    for (const t of [MIN_INSTANT, MIN_INSTANT + 1n, MAX_INSTANT - 1n, MAX_INSTANT]) {
      expect(parseTimestamp(formatInstant(t))).toBe(t);
    }
  });

  it('reads the same instant written with any offset', () => {
    const offsetMinutes = fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 });
    fc.assert(
      fc.property(fc.bigInt({ min: MIN_INSTANT, max: MAX_INSTANT }), offsetMinutes, (t, offset) => {
        const local = formatInstant(t + BigInt(offset) * 60_000_000n);
        const sign = offset < 0 ? '-' : '+';
        const abs = Math.abs(offset);
        const text = `${local.slice(0, -1)}${sign}${pad(Math.floor(abs / 60), 2)}:${pad(abs % 60, 2)}`;
        const year = Number(local.slice(0, local.indexOf('-')));
        if (year >= 1900 && year <= 9999) expect(parseTimestamp(text)).toBe(t);
        else expect(parseTimestamp(text)).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseDbTimestamp', () => {
  it.each([
    ['2026-03-01 10:00:00.123456+00', '2026-03-01T10:00:00.123456Z'],
    ['2026-03-01 10:00:00+00', '2026-03-01T10:00:00.000000Z'],
    ['2026-03-01 10:00:00.5+05:30', '2026-03-01T04:30:00.500000Z'],
    ['2026-03-01 10:00:00.000001+00', '2026-03-01T10:00:00.000001Z'],
    ['2026-03-01 00:30:00-02', '2026-03-01T02:30:00.000000Z'],
    ['1900-01-01 00:00:00+00', '1900-01-01T00:00:00.000000Z'],
    ['9999-12-31 23:59:59.999999+00', '9999-12-31T23:59:59.999999Z'],
  ])('reads PostgreSQL text %j as %s', (input, expected) => {
    expect(formatInstant(parseDbTimestamp(input))).toBe(expected);
  });

  it('agrees with parseTimestamp', () => {
    expect(parseDbTimestamp('2026-03-01 10:00:00.5+05:30')).toBe(at('2026-03-01T10:00:00.5+05:30'));
  });

  it.each(['', '2026-03-01T10:00:00Z', '2026-03-01 10:00:00', 'infinity', '2026-03-01 10:00:00.1234567+00'])(
    'throws on unexpected text %j',
    (input) => {
      expect(() => parseDbTimestamp(input)).toThrow(/unexpected timestamptz/);
    },
  );
});

describe('parsePlainDate', () => {
  it.each(['2026-03-01', '2024-02-29', '2000-02-29', '1900-01-01', '9999-12-31', '2026-12-31'])('accepts %s', (date) => {
    expect(parsePlainDate(date)).toBe(date);
  });

  it.each([
    '', '2026-02-29', '1900-02-29', '2026-02-30', '2026-04-31', '2026-13-01', '2026-00-01', '2026-01-00',
    '1899-12-31', '10000-01-01', '2026-3-1', '20260301', '2026/03/01', '2026-03-01T00:00:00Z', ' 2026-03-01',
    '2026-03-01\n', 'infinity',
  ])('rejects %j', (text) => {
    expect(parsePlainDate(text)).toBeUndefined();
  });
});

describe('nextDate', () => {
  it.each([
    ['2026-03-01', '2026-03-02'],
    ['2026-02-28', '2026-03-01'],
    ['2024-02-28', '2024-02-29'],
    ['2024-02-29', '2024-03-01'],
    ['1900-02-28', '1900-03-01'],
    ['2026-04-30', '2026-05-01'],
    ['2026-12-31', '2027-01-01'],
  ])('%s -> %s', (date, next) => {
    expect(nextDate(date)).toBe(next);
  });
});

describe('isValidTimeZone', () => {
  it.each(['UTC', 'America/New_York', 'Asia/Kolkata', 'America/Santiago'])('accepts %s', (zone) => {
    expect(isValidTimeZone(zone)).toBe(true);
  });

  it.each(['Mars/Olympus_Mons', 'not a zone', ''])('rejects %j', (zone) => {
    expect(isValidTimeZone(zone)).toBe(false);
  });
});

describe('startOfDay and endOfDay', () => {
  it.each([
    // zone, date, start (UTC), end (UTC), why
    ['UTC', '2026-03-01', '2026-03-01T00:00:00.000000Z', '2026-03-01T23:59:59.999999Z'],
    ['America/New_York', '2026-01-15', '2026-01-15T05:00:00.000000Z', '2026-01-16T04:59:59.999999Z'],
    ['America/New_York', '2026-07-15', '2026-07-15T04:00:00.000000Z', '2026-07-16T03:59:59.999999Z'],
    // DST starts at 02:00: a 23-hour day.
    ['America/New_York', '2026-03-08', '2026-03-08T05:00:00.000000Z', '2026-03-09T03:59:59.999999Z'],
    // DST ends at 02:00: a 25-hour day.
    ['America/New_York', '2026-11-01', '2026-11-01T04:00:00.000000Z', '2026-11-02T04:59:59.999999Z'],
    ['Asia/Kolkata', '2026-03-01', '2026-02-28T18:30:00.000000Z', '2026-03-01T18:29:59.999999Z'],
    // DST starts at midnight: 00:00 -04 does not exist, the day begins at 01:00 -03.
    ['America/Santiago', '2026-09-06', '2026-09-06T04:00:00.000000Z', '2026-09-07T02:59:59.999999Z'],
    ['America/Santiago', '2026-09-05', '2026-09-05T04:00:00.000000Z', '2026-09-06T03:59:59.999999Z'],
    // DST ends at midnight: 24:00 -03 becomes 23:00 -04, the day before is 25 hours long.
    ['America/Santiago', '2026-04-04', '2026-04-04T03:00:00.000000Z', '2026-04-05T03:59:59.999999Z'],
    ['America/Santiago', '2026-04-05', '2026-04-05T04:00:00.000000Z', '2026-04-06T03:59:59.999999Z'],
    // Havana: midnight skipped in March, midnight happens twice in November (the first counts).
    ['America/Havana', '2026-03-08', '2026-03-08T05:00:00.000000Z', '2026-03-09T03:59:59.999999Z'],
    ['America/Havana', '2026-11-01', '2026-11-01T04:00:00.000000Z', '2026-11-02T04:59:59.999999Z'],
  ])('%s %s starts at %s and ends at %s', (zone, date, start, end) => {
    expect(formatInstant(startOfDay(date, zone))).toBe(start);
    expect(formatInstant(endOfDay(date, zone))).toBe(end);
  });

  it('makes DST days 23 and 25 hours long in New York', () => {
    const hours = (date: string) => (endOfDay(date, 'America/New_York') + 1n - startOfDay(date, 'America/New_York')) / 3_600_000_000n;
    expect(hours('2026-03-07')).toBe(24n);
    expect(hours('2026-03-08')).toBe(23n);
    expect(hours('2026-11-01')).toBe(25n);
  });

  it('ends each day one microsecond before the next one starts', () => {
    const dates = fc.integer({ min: 0, max: 2_900_000 }).map((days) => formatInstant(MIN_INSTANT + BigInt(days) * 86_400_000_000n).slice(0, 10));
    fc.assert(
      fc.property(dates.filter((d) => d !== '9999-12-31'), fc.constantFrom(...ZONES), (date, zone) => {
        expect(endOfDay(date, zone) + 1n).toBe(startOfDay(nextDate(date), zone));
      }),
      { numRuns: 300 },
    );
  });

  it('dateOf(startOfDay(d, tz), tz) === d, and the microsecond before is on an earlier date', () => {
    const dates = fc.date({ min: new Date('1900-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(dates, fc.constantFrom(...ZONES), (date, zone) => {
        const start = startOfDay(date, zone);
        expect(dateOf(start, zone)).toBe(date);
        expect(dateOf(start - 1n, zone) < date).toBe(true);
        expect(dateOf(endOfDay(date, zone), zone)).toBe(date);
      }),
      { numRuns: 500 },
    );
  });

  it('finds the first instant of the day, as a search over wall clocks does, around 2026 transitions', () => {
    const dates = fc.integer({ min: 0, max: 730 }).map((days) => formatInstant(at('2025-06-01T12:00:00Z') + BigInt(days) * 86_400_000_000n).slice(0, 10));
    fc.assert(
      fc.property(dates, fc.constantFrom(...ZONES), (date, zone) => {
        expect(startOfDay(date, zone)).toBe(firstSecondOnOrAfter(date, zone));
      }),
      { numRuns: 300 },
    );
  });
});

/** Reference: binary search, at whole seconds, for the first instant whose local date is on or after `date`. */
function firstSecondOnOrAfter(date: string, zone: string): Instant {
  const midnightUtc = at(`${date}T00:00:00Z`) / 1_000_000n;
  let low = midnightUtc - 26n * 3600n; // always on an earlier date
  let high = midnightUtc + 26n * 3600n; // always on a later date
  while (high - low > 1n) {
    const middle = (low + high) / 2n;
    if (dateOf(middle * 1_000_000n, zone) >= date) high = middle;
    else low = middle;
  }
  return high * 1_000_000n;
}

describe('dateOf', () => {
  it('reads the calendar date of an instant in a zone', () => {
    expect(dateOf(at('2026-03-01T03:00:00Z'), 'UTC')).toBe('2026-03-01');
    expect(dateOf(at('2026-03-01T03:00:00Z'), 'America/New_York')).toBe('2026-02-28');
    expect(dateOf(at('2026-02-28T18:30:00Z'), 'Asia/Kolkata')).toBe('2026-03-01');
    expect(dateOf(at('2026-02-28T18:29:59.999999Z'), 'Asia/Kolkata')).toBe('2026-02-28');
  });

  it('floors before 1970: the last microsecond of 1969 is still in 1969', () => {
    expect(dateOf(-1n, 'UTC')).toBe('1969-12-31');
    expect(dateOf(0n, 'UTC')).toBe('1970-01-01');
    expect(dateOf(at('1950-06-01T00:00:00Z') - 1n, 'UTC')).toBe('1950-05-31');
  });
});

describe('parseInstantOrEndOfDay', () => {
  it('reads a plain date as the last microsecond of that day in the zone', () => {
    expect(formatInstant(parseInstantOrEndOfDay('2026-03-31', 'UTC') ?? 0n)).toBe('2026-03-31T23:59:59.999999Z');
    expect(formatInstant(parseInstantOrEndOfDay('2026-03-31', 'America/New_York') ?? 0n)).toBe('2026-04-01T03:59:59.999999Z');
    expect(formatInstant(parseInstantOrEndOfDay('2026-03-01', 'Asia/Kolkata') ?? 0n)).toBe('2026-03-01T18:29:59.999999Z');
  });

  it('reads a timestamp as itself, whatever the zone', () => {
    expect(parseInstantOrEndOfDay('2026-03-31T12:00:00+02:00', 'America/New_York')).toBe(at('2026-03-31T10:00:00Z'));
  });

  it.each(['', '2026-02-30', '2026-03-31T12:00:00', 'infinity', '1899-12-31'])('rejects %j', (text) => {
    expect(parseInstantOrEndOfDay(text, 'UTC')).toBeUndefined();
  });

  it('rejects a date whose end falls after 9999, since the instant could not be written back', () => {
    expect(parseInstantOrEndOfDay('9999-12-31', 'UTC')).toBe(MAX_INSTANT);
    expect(parseInstantOrEndOfDay('9999-12-31', 'America/New_York')).toBeUndefined();
  });
});

describe('parseInstantOrStartOfDay', () => {
  it('reads a plain date as the first instant of that day in the zone', () => {
    expect(formatInstant(parseInstantOrStartOfDay('2026-03-31', 'UTC') ?? 0n)).toBe('2026-03-31T00:00:00.000000Z');
    expect(formatInstant(parseInstantOrStartOfDay('2026-03-08', 'America/New_York') ?? 0n)).toBe('2026-03-08T05:00:00.000000Z');
    expect(formatInstant(parseInstantOrStartOfDay('2026-09-06', 'America/Santiago') ?? 0n)).toBe('2026-09-06T04:00:00.000000Z');
  });

  it('reads a timestamp as itself, whatever the zone', () => {
    expect(parseInstantOrStartOfDay('2026-03-31T12:00:00.000001Z', 'Asia/Kolkata')).toBe(at('2026-03-31T12:00:00.000001Z'));
  });

  it.each(['', '2026-02-29', '2026-03-31 12:00:00Z', 'infinity', '10000-01-01'])('rejects %j', (text) => {
    expect(parseInstantOrStartOfDay(text, 'UTC')).toBeUndefined();
  });

  it('rejects a date whose start falls before 1900, since the instant could not be written back', () => {
    expect(parseInstantOrStartOfDay('1900-01-01', 'UTC')).toBe(MIN_INSTANT);
    expect(parseInstantOrStartOfDay('1900-01-01', 'Asia/Kolkata')).toBeUndefined();
  });
});
