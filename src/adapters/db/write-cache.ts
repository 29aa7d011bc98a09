import type { LedgerEvent } from '../../domain/events.ts';
import { LedgerFold, type AccountState, type LedgerState } from '../../domain/state.ts';
import type { Asset } from '../../domain/assets.ts';
import type { Instant, PlainDate } from '../../domain/time.ts';
import type { StateNeeds } from '../../app/ports.ts';

/** The last event of a ledger as this process knows it. */
export interface Head {
  readonly position: number;
  readonly hash: string;
  readonly recordedAt: Instant;
}

/**
 * What this process knows of one ledger at `head`: what decisions of plain writes read (the
 * ledger, its last period close, every asset, the accounts it has met). Mutated in place as the
 * process's appends commit; dropped whole when the ledger moved under it.
 */
export interface KnownLedger {
  head: Head;
  ledger: LedgerState['ledger'];
  closedThrough: PlainDate | null;
  readonly assets: Map<string, Asset>;
  readonly accounts: Map<string, AccountState>;
}

/** Ledgers kept, and accounts kept per ledger: past either, the ledger is forgotten and read again. */
const MAX_LEDGERS = 1000;
const MAX_ACCOUNTS = 100_000;

/**
 * The write path's knowledge of the ledgers this process appends to, for appends in one round
 * trip: a batch whose decisions need nothing but what is known here is decided before the
 * ledger's lock is taken, and its append statement begins with `ledger_append_check`, which takes
 * the lock and confirms that the head is still the known one (docs/architecture.md#the-write-path).
 * A batch that names another transaction (a reversal, a correction, a hold's post or void), an
 * account not met yet, or a noOverdraft account it takes money out of is appended the slow way
 * (`ledger_lock_and_load`), and what that load reads is learnt here.
 */
export class WriteCache {
  private readonly ledgers = new Map<string, KnownLedger>();

  /** What the batch's decisions need, if all of it is known; else null. */
  stateFor(ledgerId: string, needs: StateNeeds): { known: KnownLedger; state: LedgerState } | null {
    const known = this.ledgers.get(ledgerId);
    if (!known || needs.namesTransactions) return null;
    const accounts = new Map<string, AccountState>();
    for (const accountId of needs.accountIds) {
      const account = known.accounts.get(accountId);
      if (!account) return null;
      accounts.set(accountId, account);
    }
    for (const side of needs.postingSides) {
      const account = accounts.get(side.accountId)!;
      if (account.noOverdraft && side.direction !== account.normalBalance) return null;
    }
    return {
      known,
      state: { ledger: known.ledger, closedThrough: known.closedThrough, assets: known.assets, accounts, transactions: new Map(), overdraft: new Map() },
    };
  }

  /** After an append in one round trip that committed: its events, from the state its decisions saw. */
  committed(known: KnownLedger, state: LedgerState, events: readonly LedgerEvent[], head: Head): void {
    learn(known, state, events, head);
  }

  /**
   * After an append the slow way: the state it loaded at the head `loadedAt` and the events it
   * appended. Added to what was known if that was current, else replacing it.
   */
  loaded(ledgerId: string, loadedAt: Omit<Head, 'recordedAt'>, state: LedgerState, events: readonly LedgerEvent[], head: Head): void {
    if (state.ledger === null) return;
    let known = this.ledgers.get(ledgerId);
    if (!known || known.head.position !== loadedAt.position || known.head.hash !== loadedAt.hash) {
      known = { head, ledger: null, closedThrough: null, assets: new Map(), accounts: new Map() };
      this.ledgers.delete(ledgerId);
      if (this.ledgers.size >= MAX_LEDGERS) this.ledgers.delete(this.ledgers.keys().next().value!);
      this.ledgers.set(ledgerId, known);
    }
    learn(known, state, events, head);
    if (known.accounts.size > MAX_ACCOUNTS) this.ledgers.delete(ledgerId);
  }

  forget(ledgerId: string): void {
    this.ledgers.delete(ledgerId);
  }
}

/** Folds a batch's events into what is known, from the state its decisions saw. */
function learn(known: KnownLedger, state: LedgerState, events: readonly LedgerEvent[], head: Head): void {
  const fold = new LedgerFold({ ...state, transactions: new Map(), overdraft: new Map() });
  for (const event of events) fold.add(event, { position: head.position, recordedAt: head.recordedAt });
  const after = fold.state;
  known.head = head;
  known.ledger = after.ledger;
  known.closedThrough = after.closedThrough;
  for (const [code, asset] of after.assets) known.assets.set(code, asset);
  for (const [accountId, account] of after.accounts) known.accounts.set(accountId, account);
}
