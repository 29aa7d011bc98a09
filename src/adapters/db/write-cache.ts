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
 * What this process knows of one ledger: what decisions of plain writes read (the ledger, its
 * last period close, every asset, the accounts it has met), as of `confirmed`, the head after the
 * last of its appends known to have committed, and `head`, after the ones sent since (null when
 * one of those failed: then nothing is decided here until an append the slow way has read the
 * head again). Appends in one round trip only record transactions, so what is known changes only
 * with the head until the ledger moves under the process, and then it is dropped whole.
 */
export interface KnownLedger {
  head: Head | null;
  confirmed: Head;
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
  stateFor(ledgerId: string, needs: StateNeeds): { known: KnownLedger & { head: Head }; state: LedgerState } | null {
    const known = this.ledgers.get(ledgerId);
    if (!known || known.head === null || needs.mirrors || needs.namesTransactions) return null;
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
      known: known as KnownLedger & { head: Head },
      state: { ledger: known.ledger, closedThrough: known.closedThrough, assets: known.assets, accounts, transactions: new Map(), overdraft: new Map() },
    };
  }

  /** An append in one round trip sent, that brings the head to `head` if it commits. */
  sent(known: KnownLedger, head: Head): void {
    known.head = head;
  }

  /** An append in one round trip that committed. */
  committed(known: KnownLedger, head: Head): void {
    if (head.position > known.confirmed.position) known.confirmed = head;
  }

  /** An append in one round trip whose check failed with the ledger as known: the head is not known until read again. */
  failed(ledgerId: string): void {
    const known = this.ledgers.get(ledgerId);
    if (known) known.head = null;
  }

  /**
   * After an append the slow way: the state it loaded at the head `loadedAt` and the events it
   * appended. Added to what was known if that was the last head known to be this process's,
   * else (another process appended since) replacing it.
   */
  loaded(ledgerId: string, loadedAt: Omit<Head, 'recordedAt'>, state: LedgerState, events: readonly LedgerEvent[], head: Head): void {
    if (state.ledger === null) return;
    let known = this.ledgers.get(ledgerId);
    if (!known || known.confirmed.position !== loadedAt.position || known.confirmed.hash !== loadedAt.hash) {
      known = { head, confirmed: head, ledger: null, closedThrough: null, assets: new Map(), accounts: new Map() };
      this.ledgers.delete(ledgerId);
      if (this.ledgers.size >= MAX_LEDGERS) this.ledgers.delete(this.ledgers.keys().next().value!);
      this.ledgers.set(ledgerId, known);
    }
    learn(known, state, events);
    known.head = known.confirmed = head;
    if (known.accounts.size > MAX_ACCOUNTS) this.ledgers.delete(ledgerId);
  }

  forget(ledgerId: string): void {
    this.ledgers.delete(ledgerId);
  }
}

/** Folds a batch's events into what is known, from the state its decisions saw. */
function learn(known: KnownLedger, state: LedgerState, events: readonly LedgerEvent[]): void {
  const fold = new LedgerFold({ ...state, transactions: new Map(), overdraft: new Map() });
  for (const event of events) fold.add(event, { position: 0, recordedAt: 0n });
  const after = fold.state;
  known.ledger = after.ledger;
  known.closedThrough = after.closedThrough;
  for (const [code, asset] of after.assets) known.assets.set(code, asset);
  for (const [accountId, account] of after.accounts) known.accounts.set(accountId, account);
}
