import type { NormalBalance } from './events.ts';
import { Decimal } from './money.ts';

/** Debit and credit totals of one kind of posting on an account. */
export interface Sides {
  readonly debits: Decimal;
  readonly credits: Decimal;
}

export interface BalanceParts {
  readonly posted: Sides;
  readonly pending: Sides;
  readonly scheduled: Sides;
}

export interface Balance extends BalanceParts {
  readonly ledgerBalance: Decimal;
  readonly availableBalance: Decimal;
}

/** Positive on the account's normal side. */
export function signedTotal(sides: Sides, normal: NormalBalance): Decimal {
  return normal === 'debit' ? sides.debits.minus(sides.credits) : sides.credits.minus(sides.debits);
}

/** The amount on the side opposite to the normal one: what takes money out. */
export function contraSide(sides: Sides, normal: NormalBalance): Decimal {
  return normal === 'debit' ? sides.credits : sides.debits;
}

/**
 * Section 4 of the spec: the ledger balance is the signed posted total; the available balance
 * also subtracts the outgoing side of active holds and of known future-dated postings.
 */
export function balanceOf(parts: BalanceParts, normal: NormalBalance): Balance {
  const ledgerBalance = signedTotal(parts.posted, normal);
  const availableBalance = ledgerBalance.minus(contraSide(parts.pending, normal)).minus(contraSide(parts.scheduled, normal));
  return { ...parts, ledgerBalance, availableBalance };
}
