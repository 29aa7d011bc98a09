import { isRejection, type Rejection } from '../domain/rejection.ts';
import { asOfAt, effectiveInstantOf, readAtOf, type AsOf, type AsOfInput } from './as-of.ts';
import type { LedgerInfo, LedgerStore } from './ports.ts';

/** A ledger read's answer: null when the ledger does not exist. */
export type LedgerRead = null | Rejection | { readonly asOf: AsOf; readonly ledger: LedgerInfo };

/**
 * The ledger at the coordinates asked (its head and closed-through date as of R), in one round
 * trip: the read point and the ledger come from one statement. A missing ledger is answered
 * before refused coordinates.
 */
export async function readLedger(store: LedgerStore, ledgerId: string, input: AsOfInput): Promise<LedgerRead> {
  const at = readAtOf(input);
  if (isRejection(at)) return (await store.ledgerTimezone(ledgerId)) === null ? null : at;
  const read = await store.ledgerRead(ledgerId, at);
  if (!read) return null;
  const ledger = read.found!;
  const asOf = asOfAt(at, read.point, effectiveInstantOf(input, ledger.timezone));
  return isRejection(asOf) ? asOf : { asOf, ledger };
}
