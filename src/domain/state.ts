import type { AccountType } from './account-type.ts';
import type { Asset } from './assets.ts';
import type { LedgerEvent, NormalBalance, Posting, TransactionData } from './events.ts';
import { assertNever } from './events.ts';
import { addToWindow, wholeHistoryWindow, windowWith, type OpenWindow, type OverdraftWindow } from './balance.ts';
import type { Instant, PlainDate } from './time.ts';

export interface AccountState {
  readonly accountId: string;
  readonly name: string;
  readonly normalBalance: NormalBalance;
  readonly currency: string;
  readonly noOverdraft: boolean;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Absent or null: an account opened without a type. */
  readonly type?: AccountType | null | undefined;
  readonly closed: boolean;
}

export interface HoldResolution {
  readonly type: 'posted' | 'voided';
  readonly position: number;
  readonly effectiveAt: string;
  /** The captured postings of a post; empty for a void. */
  readonly postings: readonly Posting[];
  /** The reason the client gave for a void; null for a post, or a void without one. */
  readonly reason: string | null;
}

export interface TransactionState {
  readonly data: TransactionData;
  readonly position: number;
  readonly reversedBy: string | null;
  /** For a hold: its post or void, once there is one. */
  readonly resolution: HoldResolution | null;
}

/**
 * What a decision needs to know about one ledger. On the write path the store fills it with only
 * the accounts, assets and transactions a batch of commands names: a slice of the full fold.
 */
export interface LedgerState {
  readonly ledger: { readonly ledgerId: string; readonly name: string; readonly timezone: string } | null;
  readonly closedThrough: PlainDate | null;
  readonly assets: ReadonlyMap<string, Asset>;
  readonly accounts: ReadonlyMap<string, AccountState>;
  readonly transactions: ReadonlyMap<string, TransactionState>;
  /**
   * For each `noOverdraft` account the batch touches: its balance, as of the head, from the
   * earliest effective time the batch's checks look at, and the postings that may change it after.
   */
  readonly overdraft: ReadonlyMap<string, OverdraftWindow>;
}

export const initialState: LedgerState = {
  ledger: null,
  closedThrough: null,
  assets: new Map(),
  accounts: new Map(),
  transactions: new Map(),
  overdraft: new Map(),
};

/** Where an event stands in the log. */
export interface LogPoint {
  readonly position: number;
  readonly recordedAt: Instant;
}

/** The fold: the state after one more event. */
export function evolve(state: LedgerState, event: LedgerEvent, at: LogPoint): LedgerState {
  return step(state, event, at, COPYING);
}

/**
 * A fold in progress over many events: `events.reduce(evolve, state)`, without copying a map per
 * event. It owns copies of the state's maps and writes into them, so `state` (the fold so far)
 * holds only until the next `add`.
 */
export class LedgerFold {
  #state: LedgerState;

  constructor(start: LedgerState) {
    this.#state = {
      ...start,
      assets: new Map(start.assets),
      accounts: new Map(start.accounts),
      transactions: new Map(start.transactions),
      overdraft: new Map([...start.overdraft].map(([accountId, w]): [string, OpenWindow] => [accountId, { ...w, facts: [...w.facts] }])),
    };
  }

  get state(): LedgerState {
    return this.#state;
  }

  add(event: LedgerEvent, at: LogPoint): void {
    this.#state = step(this.#state, event, at, IN_PLACE);
  }
}

/**
 * The fold of a whole log from the initial state, each `noOverdraft` account with its window
 * from the start of time (every posting of it). For replays.
 */
export function foldLog(events: readonly (LogPoint & { readonly event: LedgerEvent })[]): LedgerState {
  const fold = new LedgerFold(initialState);
  for (const e of events) fold.add(e.event, e);
  return fold.state;
}

/** How a step of the fold writes: into copies of the state's maps (`evolve`), or into maps it owns (`LedgerFold`). */
interface Writes {
  entry<V>(map: ReadonlyMap<string, V>, key: string, value: V): ReadonlyMap<string, V>;
  window(window: OverdraftWindow, event: LedgerEvent, at: LogPoint, accountId: string): OverdraftWindow;
}

const COPYING: Writes = {
  entry: (map, key, value) => new Map(map).set(key, value),
  window: (window, event, at, accountId) => windowWith(window, [{ event, ...at }], accountId),
};
const IN_PLACE: Writes = {
  entry: (map, key, value) => (map as Map<string, typeof value>).set(key, value),
  window(window, event, at, accountId) {
    addToWindow(window as OpenWindow, [{ event, ...at }], accountId);
    return window;
  },
};

function step(state: LedgerState, event: LedgerEvent, at: LogPoint, writes: Writes): LedgerState {
  const evolved = evolveEntities(state, event, at.position, writes);
  // A noOverdraft account opened here has no history: its window is whole from the start.
  if (event.type === 'AccountOpened' && event.data.noOverdraft) return { ...evolved, overdraft: writes.entry(state.overdraft, event.data.accountId, wholeHistoryWindow()) };
  if (state.overdraft.size === 0 || !movesMoney(event)) return evolved;
  let overdraft = state.overdraft;
  for (const [accountId, window] of state.overdraft) overdraft = writes.entry(overdraft, accountId, writes.window(window, event, at, accountId));
  return { ...evolved, overdraft };
}

const movesMoney = (event: LedgerEvent) => event.type === 'TransactionRecorded' || event.type === 'HoldPosted' || event.type === 'HoldVoided';

function evolveEntities(state: LedgerState, event: LedgerEvent, position: number, writes: Writes): LedgerState {
  const withEntry = writes.entry;
  switch (event.type) {
    case 'LedgerCreated':
      return { ...state, ledger: event.data };
    case 'AssetDeclared':
      return { ...state, assets: withEntry(state.assets, event.data.code, event.data) };
    case 'AccountOpened':
      return { ...state, accounts: withEntry(state.accounts, event.data.accountId, { ...event.data, closed: false }) };
    case 'AccountClosed': {
      const account = state.accounts.get(event.data.accountId);
      if (!account) return state;
      return { ...state, accounts: withEntry(state.accounts, account.accountId, { ...account, closed: true }) };
    }
    case 'TransactionRecorded': {
      let transactions = withEntry(state.transactions, event.data.id, { data: event.data, position, reversedBy: null, resolution: null });
      const original = event.data.reverses ? transactions.get(event.data.reverses) : undefined;
      if (original) transactions = withEntry(transactions, original.data.id, { ...original, reversedBy: event.data.id });
      return { ...state, transactions };
    }
    case 'PeriodClosed':
      return { ...state, closedThrough: event.data.through };
    case 'HoldPosted':
    case 'HoldVoided': {
      const hold = state.transactions.get(event.data.holdId);
      if (!hold) return state;
      const resolution: HoldResolution = {
        type: event.type === 'HoldPosted' ? 'posted' : 'voided',
        position,
        effectiveAt: event.data.effectiveAt,
        postings: event.type === 'HoldPosted' ? event.data.postings : [],
        reason: event.data.reason,
      };
      return { ...state, transactions: withEntry(state.transactions, hold.data.id, { ...hold, resolution }) };
    }
    default:
      return assertNever(event);
  }
}
