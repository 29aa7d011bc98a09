import type { Instant } from '../domain/time.ts';
import type { LedgerStore, TransactionRow } from './ports.ts';

/** The most entries a restatement lists. */
export const MAX_RESTATED_ENTRIES = 1000;

/** Between two knowledge times (log positions), the effective times whose balances may have moved. */
export interface RestatementWindow {
  /** Entries recorded after this position... */
  readonly fromPosition: number;
  /** ...up to this one, read as of it. */
  readonly toPosition: number;
  readonly effectiveFrom?: Instant | undefined;
  readonly effectiveTo: Instant;
}

/**
 * The transactions recorded in the window's positions and effective in its effective range, in
 * log order, at most `limit`: what changed the balances there between the two knowledge times.
 */
export function restatedEntries(store: LedgerStore, ledgerId: string, window: RestatementWindow, limit: number): Promise<TransactionRow[]> {
  return store.transactions(ledgerId, window.toPosition, { effectiveFrom: window.effectiveFrom, effectiveTo: window.effectiveTo }, window.fromPosition, limit);
}

/** The accounts a transaction's postings touch, a captured hold's captured postings included, each once, sorted. */
export function accountsTouched(row: TransactionRow): string[] {
  const captured = row.resolution?.type === 'posted' ? row.resolution.postings : [];
  return [...new Set([...row.data.postings, ...captured].map((p) => p.accountId))].sort();
}

/**
 * Whether a restated entry moved ledger balances as of the window's end: a posted transaction,
 * or a hold captured within the window (a hold still pending, voided or captured earlier did not).
 */
export function movesLedgerBalances(row: TransactionRow, window: Pick<RestatementWindow, 'fromPosition'>): boolean {
  if (row.data.status === 'posted') return true;
  return row.resolution?.type === 'posted' && row.resolution.position > window.fromPosition;
}
