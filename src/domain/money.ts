import { Decimal as DecimalJs } from 'decimal.js';

/**
 * decimal.js rounds to 20 significant digits by default; amounts reach 48 and sums grow past
 * that, so every amount lives in this clone, whose precision no ledger can reach.
 */
export const Decimal = DecimalJs.clone({ precision: 1000, rounding: DecimalJs.ROUND_DOWN, toExpNeg: -1000, toExpPos: 1000 });
export type Decimal = InstanceType<typeof Decimal>;

/** The amount grammar of the spec: a positive decimal string, no sign, exponent or separators. */
export const AMOUNT_PATTERN = /^(0|[1-9][0-9]{0,29})(\.[0-9]{1,18})?$/;

export const ZERO = new Decimal(0);

export type AmountProblem = 'FORMAT' | 'NOT_POSITIVE' | 'SCALE_EXCEEDED';

/** Parses a wire amount for an asset of the given scale; nothing is rounded. */
export function parseAmount(text: string, scale: number): Decimal | AmountProblem {
  const m = AMOUNT_PATTERN.exec(text);
  if (!m) return 'FORMAT';
  const value = new Decimal(text);
  if (value.isZero()) return 'NOT_POSITIVE';
  const fractionDigits = m[2] ? m[2].length - 1 : 0;
  if (fractionDigits > scale) return 'SCALE_EXCEEDED';
  return value;
}

/**
 * A wire amount written with exactly the asset's scale (`"10.5"` at 2 is `"10.50"`), or what is
 * wrong with it, as `formatAmount(parseAmount(text, scale), scale)` answers, from the text alone:
 * the grammar has no sign, exponent or leading zero, so padding the fraction is exact. A write's
 * postings take this way (decimal.js's parse and toFixed were a tenth of a batch's decisions).
 */
export function amountAtScale(text: string, scale: number): string | AmountProblem {
  const m = AMOUNT_PATTERN.exec(text);
  if (!m) return 'FORMAT';
  const integer = m[1]!;
  const fraction = m[2] === undefined ? '' : m[2].slice(1);
  if (integer === '0' && !NONZERO_DIGIT.test(fraction)) return 'NOT_POSITIVE';
  if (fraction.length > scale) return 'SCALE_EXCEEDED';
  return scale === 0 ? integer : `${integer}.${fraction.padEnd(scale, '0')}`;
}

const NONZERO_DIGIT = /[1-9]/;

/** Formats an amount with exactly the asset's scale (`"10.50"` for USD). */
export function formatAmount(value: Decimal, scale: number): string {
  if (value.decimalPlaces() > scale) throw new Error(`amount ${value.toString()} has more digits than scale ${scale}`);
  return value.toFixed(scale);
}
