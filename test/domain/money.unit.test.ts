import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ASSET_CODE_PATTERN, MAX_ASSET_SCALE, isoCurrency } from '../../src/domain/assets.ts';
import { AMOUNT_PATTERN, Decimal, ZERO, amountAtScale, formatAmount, parseAmount } from '../../src/domain/money.ts';

const LARGEST = '999999999999999999999999999999.999999999999999999';

/** Parses an amount the test knows to be valid. */
function amount(text: string, scale: number): Decimal {
  const value = parseAmount(text, scale);
  if (typeof value === 'string') throw new Error(`test fixture ${text} is not valid at scale ${scale}: ${value}`);
  return value;
}

/** A random wire amount: up to 30 integer digits and up to `scale` fraction digits, never zero. */
function wireAmount(scale: number) {
  const integer = fc.bigInt({ min: 0n, max: 10n ** 30n - 1n });
  const fraction = fc.bigInt({ min: 0n, max: 10n ** BigInt(scale) - 1n });
  return fc.tuple(integer, fraction, fc.boolean())
    .filter(([i, f]) => i !== 0n || f !== 0n)
    .map(([i, f, withFraction]) => (scale > 0 && (withFraction || i === 0n) ? `${i}.${String(f).padStart(scale, '0')}` : `${i}`));
}

/** The exact value of a wire amount in units of 10^-scale, computed with bigint only. */
function toUnits(text: string, scale: number): bigint {
  const [integer = '0', fraction = ''] = text.split('.');
  return BigInt(integer + fraction.padEnd(scale, '0'));
}

describe('parseAmount', () => {
  describe('accepts', () => {
    it.each([
      ['0.01', 2],
      ['10', 2],
      ['10', 0],
      ['0.5', 1],
      ['1.00', 2],
      ['1.000', 3],
      ['123.456', 3],
      ['1000000', 0],
      ['100000000000000000000000000000', 0],
      ['0.000000000000000001', 18],
    ])('%s at scale %i', (text, scale) => {
      const value = amount(text, scale);
      expect(value).toBeInstanceOf(Decimal);
      expect(value.eq(new Decimal(text))).toBe(true);
    });

    it('keeps all 48 digits of the largest amount at scale 18, with no rounding to 20 digits', () => {
      const text = '123456789012345678901234567890.123456789012345678';
      const value = amount(text, 18);
      expect(value.toFixed(18)).toBe(text);
      expect(value.toString()).toBe(text);
      expect(amount(LARGEST, 18).toFixed(18)).toBe(LARGEST);
    });

    it('reads any amount of the grammar exactly', () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 18 }).chain((scale) => fc.tuple(fc.constant(scale), wireAmount(scale))), ([scale, text]) => {
          const value = amount(text, scale);
          expect(value.toFixed(scale)).toBe(formatUnits(toUnits(text, scale), scale));
        }),
        { numRuns: 1000 },
      );
    });
  });

  describe('rejects as NOT_POSITIVE', () => {
    it.each([
      ['0', 2],
      ['0.00', 2],
      ['0.0', 0],
      ['0.000000000000000000', 18],
    ])('%s at scale %i', (text, scale) => {
      expect(parseAmount(text, scale)).toBe('NOT_POSITIVE');
    });
  });

  describe('rejects as FORMAT', () => {
    it.each([
      ['a leading zero', '01'],
      ['a leading zero before a fraction', '00.5'],
      ['a trailing point', '1.'],
      ['a leading point', '.5'],
      ['a minus sign', '-1'],
      ['a plus sign', '+1'],
      ['an exponent', '1e3'],
      ['an upper-case exponent', '1E3'],
      ['a thousands separator', '1,000'],
      ['a decimal comma', '1,5'],
      ['an underscore separator', '1_000'],
      ['hex', '0x10'],
      ['binary', '0b1'],
      ['NaN', 'NaN'],
      ['Infinity', 'Infinity'],
      ['a leading space', ' 1'],
      ['a trailing space', '1 '],
      ['a trailing newline', '1\n'],
      ['the empty string', ''],
      ['19 fraction digits', '1.1234567890123456789'],
      ['31 integer digits', '1000000000000000000000000000000'],
      ['non-ASCII digits', '١٠'],
      ['full-width digits', '１０'],
      ['a currency symbol', '$10'],
      ['two points', '1.2.3'],
    ])('%s (%j)', (_, text) => {
      expect(parseAmount(text, 18)).toBe('FORMAT');
    });
  });

  describe('rejects as SCALE_EXCEEDED', () => {
    it.each([
      ['1.001', 2],
      ['1.000', 2],
      ['1.0', 0],
      ['1.5', 0],
      ['0.0001', 3],
    ])('%s at scale %i', (text, scale) => {
      expect(parseAmount(text, scale)).toBe('SCALE_EXCEEDED');
    });
  });

  it('uses the same grammar as AMOUNT_PATTERN', () => {
    expect(AMOUNT_PATTERN.test(LARGEST)).toBe(true);
    expect(AMOUNT_PATTERN.test('1.1234567890123456789')).toBe(false);
  });
});

describe('formatAmount', () => {
  it.each([
    ['10.5', 2, '10.50'],
    ['10', 2, '10.00'],
    ['0.01', 2, '0.01'],
    ['1000', 0, '1000'],
    ['1.5', 3, '1.500'],
    ['0.000000000000000001', 18, '0.000000000000000001'],
    ['123456789012345678901234567890.123456789012345678', 18, '123456789012345678901234567890.123456789012345678'],
    ['100000000000000000000000000000', 0, '100000000000000000000000000000'],
  ])('%s at scale %i -> %s', (text, scale, expected) => {
    expect(formatAmount(new Decimal(text), scale)).toBe(expected);
  });

  it('writes ZERO with the scale', () => {
    expect(formatAmount(ZERO, 2)).toBe('0.00');
    expect(formatAmount(ZERO, 0)).toBe('0');
  });

  it('gives amounts of JPY (scale 0) no fraction, of USD two digits, of BHD three', () => {
    expect(formatAmount(amount('1500', 0), isoCurrency('JPY')?.scale ?? -1)).toBe('1500');
    expect(formatAmount(amount('10.5', 2), isoCurrency('USD')?.scale ?? -1)).toBe('10.50');
    expect(formatAmount(amount('10.5', 3), isoCurrency('BHD')?.scale ?? -1)).toBe('10.500');
  });

  it('never writes an exponent, however large or small the value', () => {
    expect(formatAmount(new Decimal('1e40'), 0)).toBe(`1${'0'.repeat(40)}`);
    expect(formatAmount(new Decimal('1e-18'), 18)).toBe(`0.${'0'.repeat(17)}1`);
  });

  it('throws rather than round an amount with more digits than the scale', () => {
    expect(() => formatAmount(new Decimal('1.005'), 2)).toThrow(/more digits than scale 2/);
    expect(() => formatAmount(new Decimal('0.5'), 0)).toThrow();
  });

  it('round-trips with parseAmount at the same scale', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 18 }).chain((scale) => fc.tuple(fc.constant(scale), wireAmount(scale))), ([scale, text]) => {
        const written = formatAmount(amount(text, scale), scale);
        expect(amount(written, scale).eq(amount(text, scale))).toBe(true);
        expect(written).toBe(formatUnits(toUnits(text, scale), scale));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('amountAtScale', () => {
  /** What decimal.js's way answers: the problem, or the amount parsed and written at the scale. */
  const throughDecimal = (text: string, scale: number) => {
    const value = parseAmount(text, scale);
    return typeof value === 'string' ? value : formatAmount(value, scale);
  };

  it.each([
    ['10', 2, '10.00'], ['10.5', 2, '10.50'], ['0.01', 2, '0.01'], ['7', 0, '7'], ['0.000000000000000001', 18, '0.000000000000000001'],
    ['0', 2, 'NOT_POSITIVE'], ['0.00', 2, 'NOT_POSITIVE'], ['0.000', 2, 'NOT_POSITIVE'], ['1.001', 2, 'SCALE_EXCEEDED'], ['1.0', 0, 'SCALE_EXCEEDED'],
    ['01', 2, 'FORMAT'], ['-1', 2, 'FORMAT'], ['1e3', 2, 'FORMAT'], ['1.', 2, 'FORMAT'], ['.5', 2, 'FORMAT'], [' 1', 2, 'FORMAT'],
  ])('%s at scale %i is %s', (text, scale, expected) => {
    expect(amountAtScale(text, scale)).toBe(expected);
    expect(throughDecimal(text, scale)).toBe(expected);
  });

  it('answers what decimal.js answers for amounts of the grammar and near it, at every scale', () => {
    const digits = (max: number) => fc.string({ unit: fc.constantFrom('0', '1', '5', '9'), minLength: 0, maxLength: max });
    const text = fc.oneof(
      fc.tuple(digits(31), fc.option(digits(20))).map(([i, f]) => (f === null ? i : `${i}.${f}`)),
      fc.integer({ min: 0, max: 18 }).chain((scale) => wireAmount(scale)),
      fc.string({ unit: fc.constantFrom('0', '1', '.', '-', 'e', ' '), maxLength: 6 }),
    );
    fc.assert(fc.property(text, fc.integer({ min: 0, max: 18 }), (amount, scale) => {
      expect(amountAtScale(amount, scale)).toBe(throughDecimal(amount, scale));
    }), { numRuns: 3000 });
  });
});

describe('Decimal arithmetic on amounts', () => {
  it('sums a thousand 48-digit amounts exactly', () => {
    const total = Array.from({ length: 1000 }, () => amount(LARGEST, 18)).reduce((sum, a) => sum.plus(a), ZERO);
    expect(total.toFixed(18)).toBe('999999999999999999999999999999999.999999999999999000');
  });

  it('sums random 48-digit amounts exactly, as bigint arithmetic does', () => {
    fc.assert(
      fc.property(fc.array(wireAmount(18), { minLength: 1, maxLength: 200 }), (texts) => {
        const total = texts.reduce((sum, text) => sum.plus(amount(text, 18)), ZERO);
        const expected = texts.reduce((sum, text) => sum + toUnits(text, 18), 0n);
        expect(total.toFixed(18)).toBe(formatUnits(expected, 18));
      }),
      { numRuns: 200 },
    );
  });

  it('nets debits and credits to exactly zero', () => {
    const debits = ['0.000000000000000001', LARGEST, '12345.678'].map((t) => amount(t, 18));
    const credits = [LARGEST, '12345.678000000000000001'].map((t) => amount(t, 18));
    const net = debits.reduce((s, a) => s.plus(a), ZERO).minus(credits.reduce((s, a) => s.plus(a), ZERO));
    expect(net.isZero()).toBe(true);
  });

  it('does not round where the default decimal.js precision (20 digits) would', () => {
    const sum = amount('100000000000000000000', 0).plus(amount('0.000000000000000001', 18));
    expect(sum.toFixed(18)).toBe('100000000000000000000.000000000000000001');
  });
});

describe('isoCurrency', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['BHD', 3],
    ['KWD', 3],
    ['CLF', 4],
  ])('knows %s with %i minor digits', (code, scale) => {
    expect(isoCurrency(code)).toEqual({ code, scale });
  });

  it.each(['XYZ', 'usd', '', 'US', 'USDX', 'BTC'])('does not know %j', (code) => {
    expect(isoCurrency(code)).toBeUndefined();
  });

  it('does not mistake inherited Object properties for currencies', () => {
    const codes = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'];
    expect(codes.map((code) => isoCurrency(code))).toEqual(codes.map(() => undefined));
  });

  it('gives every known currency a scale the asset rules allow', () => {
    for (const code of ['USD', 'EUR', 'JPY', 'BHD', 'GBP', 'CHF', 'CLF', 'UYW']) {
      const asset = isoCurrency(code);
      expect(asset).toBeDefined();
      expect(ASSET_CODE_PATTERN.test(code)).toBe(true);
      expect(asset?.scale).toBeGreaterThanOrEqual(0);
      expect(asset?.scale).toBeLessThanOrEqual(MAX_ASSET_SCALE);
    }
  });
});

describe('ASSET_CODE_PATTERN', () => {
  it.each(['USD', 'POINTS', 'GOLD_OZ', 'A1', 'ABCDEFGHIJKLMNOP'])('accepts %s', (code) => {
    expect(ASSET_CODE_PATTERN.test(code)).toBe(true);
  });

  it.each(['', 'U', 'usd', '1USD', '_USD', 'US-D', 'ABCDEFGHIJKLMNOPQ'])('rejects %j', (code) => {
    expect(ASSET_CODE_PATTERN.test(code)).toBe(false);
  });
});

/** Writes an integer count of 10^-scale units as a decimal string with exactly `scale` digits. */
function formatUnits(units: bigint, scale: number): string {
  if (scale === 0) return units.toString();
  const digits = units.toString().padStart(scale + 1, '0');
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}
