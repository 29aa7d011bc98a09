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
