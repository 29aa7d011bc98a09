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

/** The entries a restatement lists and the accounts they posted to. */
export interface RestatedEntries {
  /** In log order of what they posted (a captured hold at its capture), at most `limit`. */
  readonly rows: TransactionRow[];
  /** The accounts of their postings recorded in the window, sorted. */
  readonly accountIds: string[];
}

/** Postings read per query while looking for the restated entries. */
const POSTINGS_PER_PAGE = 5000;

/**
 * What moved the ledger balances at the window's effective time between its two knowledge times:
 * the posted postings recorded in its positions (transactions, reversals, corrections and holds'
 * captures: a capture is posted at its own position, under the hold's id) effective at or before
 * `effectiveTo`, walked in log order from the window's start, so the cost follows the window, not
 * the history. A hold placed, voided or expiring moves no ledger balance and is not among them.
 * At most `limit` entries (ask for one more than you list to know whether there were more).
 */
export async function restatedEntries(store: LedgerStore, ledgerId: string, window: Omit<RestatementWindow, 'effectiveFrom'>, limit: number): Promise<RestatedEntries> {
  // Most entries are transactions recorded in the window: read them by position meanwhile.
  const recorded = store.transactions(ledgerId, window.toPosition, { effectiveTo: window.effectiveTo }, window.fromPosition, limit);
  recorded.catch(() => {}); // awaited below, or dropped if the walk fails first
  const accountsOf = new Map<string, Set<string>>();
  // (fromPosition + 1, -1) is just before the first posting recorded after fromPosition.
  let after = { position: window.fromPosition + 1, seq: -1 };
  for (let full = false; !full;) {
    const page = await store.postingsRecorded(ledgerId, after, window.toPosition, window.effectiveTo, POSTINGS_PER_PAGE);
    for (const p of page) {
      const accounts = accountsOf.get(p.transactionId);
      if (accounts) accounts.add(p.accountId);
      else if (accountsOf.size < limit) accountsOf.set(p.transactionId, new Set([p.accountId]));
      else full = true;
      if (full) break;
    }
    if (page.length < POSTINGS_PER_PAGE) break;
    after = page[page.length - 1]!;
  }
  return restated(store, ledgerId, window.toPosition, accountsOf, await recorded);
}

/**
 * The transactions, as known at `position`, in the order of `accountsOf`, with their accounts:
 * from `recorded` when there, the others (holds captured in the window but placed before it) by id.
 */
async function restated(
  store: LedgerStore, ledgerId: string, position: number, accountsOf: ReadonlyMap<string, ReadonlySet<string>>, recorded: readonly TransactionRow[],
): Promise<RestatedEntries> {
  const ids = [...accountsOf.keys()];
  const accountIds = [...new Set([...accountsOf.values()].flatMap((accounts) => [...accounts]))].sort();
  const byId = new Map(recorded.map((row) => [row.data.id, row]));
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length > 0) for (const row of await store.transactions(ledgerId, position, { ids: missing }, 0, missing.length)) byId.set(row.data.id, row);
  return { rows: ids.map((id) => byId.get(id)!), accountIds };
}
