import type { AccountType } from '../domain/account-type.ts';
import type { Asset } from '../domain/assets.ts';
import type { Command } from '../domain/commands.ts';
import type { Rejection } from '../domain/rejection.ts';
import type { AccountState, HoldResolution, LedgerState } from '../domain/state.ts';
import type { LedgerEvent, RecordedEvent, TransactionData } from '../domain/events.ts';
import type { Instant, PlainDate } from '../domain/time.ts';

/** A key that makes a write idempotent: a natural id (a transaction's) or an `Idempotency-Key`. */
export interface IdempotencyClaim {
  readonly scope: string;
  readonly key: string;
}

export interface IdempotencyRecord extends IdempotencyClaim {
  readonly request: unknown;
  readonly firstPosition: number;
  readonly lastPosition: number;
}

/** What a batch of commands needs loaded under the append lock. */
export interface StateNeeds {
  readonly accountIds: readonly string[];
  readonly transactionIds: readonly string[];
  readonly claims: readonly IdempotencyClaim[];
  /**
   * No later than any effective time the commands give (a plain date's earliest start in any
   * zone): with the commit's time and the effective times of the transactions they name, where
   * the noOverdraft checks begin. Null when no command gives one.
   */
  readonly earliestEffectiveAt: Instant | null;
  /**
   * The (account, direction) of every posting the commands give. With `mirrors` false (no
   * reversal, correction or capture, whose postings come from other transactions), only a
   * noOverdraft account given a posting on its outgoing side needs its window. `amount` is the
   * sum of the postings on that side (null if one is not an amount): the most the batch can take
   * out of such an account, so that the store may load a floor instead of the postings when the
   * account's funds cover it.
   */
  readonly postingSides: readonly { readonly accountId: string; readonly direction: 'debit' | 'credit'; readonly amount: string | null }[];
  readonly mirrors: boolean;
  /** A command names a transaction recorded before (a reversal, a correction, a hold's post or void). */
  readonly namesTransactions: boolean;
}

export interface BatchInput {
  readonly state: LedgerState;
  readonly headPosition: number;
  readonly recordedAt: Instant;
  readonly records: readonly IdempotencyRecord[];
}

export interface PendingEvent {
  readonly event: LedgerEvent;
  readonly actor: string;
  readonly requestId: string;
}

/** A write refused for a business reason, for the rejection log: enough to decide it again. */
export interface RejectionRecord {
  /** The log position the decision saw: the head before it, with the earlier writes of its commit. */
  readonly position: number;
  readonly rejection: Rejection;
  readonly actor: string;
  readonly requestId: string;
  /** Decided in order from `position`: the last was refused, the others are earlier items of its atomic batch. */
  readonly commands: readonly Command[];
}

/** A rejection as the log keeps it, with its place there and the commit's recorded time. */
export interface RejectionRow extends RejectionRecord {
  readonly seq: number;
  readonly recordedAt: Instant;
}

export interface BatchOutput<T> {
  /** Appended at positions `headPosition + 1` onwards, in this order, in one commit. */
  readonly events: readonly PendingEvent[];
  readonly records: readonly IdempotencyRecord[];
  /** Kept in the same commit; they record no event. */
  readonly rejections: readonly RejectionRecord[];
  readonly result: T;
}

/** A resolved point on the recorded axis, and the database's clock as the default "now". */
export interface ReadPoint {
  readonly position: number;
  readonly recordedAt: Instant | null;
  readonly now: Instant;
}

/** Where a read stands on the recorded axis, as asked: a position, a recorded time, or neither (now). */
export interface ReadAt {
  readonly recordedAsOf?: Instant | undefined;
  readonly position?: number | undefined;
}

/**
 * A point read's answer from its one statement: null when the ledger does not exist; else the
 * read point (no recorded time at a position past the head, and then nothing found) and what
 * was found there.
 */
export type PointRead<T> = null | {
  readonly point: ReadPoint;
  readonly found: T | null;
};

/**
 * An account and its sums at a point, at the effective time read (the one asked, or now);
 * `assetScale` when its asset is one the ledger declared.
 */
export interface AccountSums {
  readonly account: AccountRow;
  readonly effectiveAt: Instant;
  readonly assetScale: number | null;
  readonly sums: BalanceSums;
}

export interface LedgerInfo {
  readonly ledgerId: string;
  readonly name: string;
  readonly timezone: string;
  readonly head: number;
  readonly closedThrough: PlainDate | null;
}

export interface AccountRow extends AccountState {
  readonly position: number;
  readonly recordedAt: Instant;
}

export interface TransactionRow {
  readonly data: TransactionData;
  readonly position: number;
  readonly recordedAt: Instant;
  readonly reversedBy: string | null;
  readonly correctedBy: string | null;
  /** A hold's post or void as of the read's position. */
  readonly resolution: (HoldResolution & { readonly recordedAt: Instant }) | null;
}

export interface StatementWindow {
  readonly effectiveFrom?: Instant | undefined;
  readonly effectiveTo: Instant;
  readonly after?: { readonly effectiveAt: Instant; readonly position: number; readonly seq: number } | undefined;
  readonly limit: number;
}

export interface StatementRow {
  readonly position: number;
  readonly seq: number;
  readonly transactionId: string;
  readonly recordedAt: Instant;
  readonly effectiveAt: Instant;
  readonly direction: 'debit' | 'credit';
  readonly amount: string;
  /** Signed on the account's normal side. */
  readonly runningBalance: string;
  readonly reverses: string | null;
  readonly reversedBy: string | null;
  readonly corrects: string | null;
}

/** Where a general ledger page starts: after this posting in (account, effective time, position, seq) order. */
export interface GeneralLedgerKey {
  readonly accountId: string;
  /** As the API writes a timestamp (UTC, six decimals): the database formats it, the exports' hot path. */
  readonly effectiveAt: string;
  readonly position: number;
  readonly seq: number;
}

/** A posted posting as the general ledger lists it. */
export interface GeneralLedgerRow extends GeneralLedgerKey {
  readonly transactionId: string;
  /** As the API writes a timestamp, like `effectiveAt`. */
  readonly recordedAt: string;
  readonly direction: 'debit' | 'credit';
  readonly amount: string;
  readonly currency: string;
}

/** Where a CSV page of the general ledger starts: after `key`, its account's running balance `running` (NUMERIC text). */
export interface GeneralLedgerCarry {
  readonly key: GeneralLedgerKey;
  readonly running: string;
}

/** A page of the general ledger as CSV records (CRLF after each), and where the next starts (null: the page is empty). */
export interface GeneralLedgerCsvPage {
  readonly text: string;
  readonly rows: number;
  readonly last: GeneralLedgerCarry | null;
}

/** A run of the general ledger's CSV records as the database streamed them (CRLF after each), and how many it holds. */
export interface GeneralLedgerCsvChunk {
  readonly bytes: Uint8Array;
  readonly rows: number;
}

/** A posted posting as a journal lists it, in log order, with its transaction's words and links. */
export interface JournalPostingRow extends GeneralLedgerRow {
  readonly description: string;
  readonly reverses: string | null;
  readonly corrects: string | null;
}

/** A posted posting's place: which transaction moved which account, at which position. */
export interface PostingTouch {
  readonly position: number;
  /** A captured hold's capture counts under the hold's id. */
  readonly transactionId: string;
  readonly accountId: string;
}

export interface ReversalRow {
  readonly reversal: TransactionRow;
  readonly original: TransactionRow;
  readonly replacement: TransactionRow | null;
  readonly actor: string;
}

export interface BalanceSums {
  readonly postedDebits: string;
  readonly postedCredits: string;
  readonly pendingDebits: string;
  readonly pendingCredits: string;
  readonly scheduledDebits: string;
  readonly scheduledCredits: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/**
 * Top-level metadata keys and the value each must have: the query string's text, matching that
 * string or the JSON number or boolean it spells. Every key must match.
 */
export type MetadataFilter = ReadonlyMap<string, string>;

/** Which accounts a list gives: ids under `prefix`, of `type`, with `metadata`. */
export interface AccountFilter {
  readonly prefix?: string | undefined;
  readonly type?: AccountType | undefined;
  readonly metadata?: MetadataFilter | undefined;
}

export interface TransactionFilter {
  readonly metadata?: MetadataFilter | undefined;
  readonly accountId?: string | undefined;
  readonly effectiveFrom?: Instant | undefined;
  readonly effectiveTo?: Instant | undefined;
  readonly recordedFrom?: Instant | undefined;
  readonly recordedTo?: Instant | undefined;
  /** Only these transactions. */
  readonly ids?: readonly string[] | undefined;
}

export interface ApiKeyRow {
  readonly keyId: string;
  readonly name: string;
  readonly role: 'admin' | 'writer' | 'reader' | 'auditor';
  readonly ledgerIds: readonly string[] | null;
  readonly revoked: boolean;
}

export interface ProjectorLag {
  readonly ledgerId: string;
  readonly head: number;
  readonly projected: number;
}

/** What the balance projector needs of the store. */
export type ProjectorStore = Pick<LedgerStore, 'projectorLag' | 'project'>;

/** The event log and its projections, as the use cases see them. */
export interface LedgerStore {
  /**
   * Under the ledger's append lock: loads the slice of state `needs` names, lets `decideBatch`
   * choose the events, and appends them with their projections and idempotency records in one
   * commit. `decideBatch` is pure: it may run again if the commit has to be retried. `onDecided`
   * is called once the decisions are made, while the lock is still held: the append and the
   * commit are what is left.
   */
  write<T>(
    ledgerId: string, needs: StateNeeds, decideBatch: (input: BatchInput) => BatchOutput<T>, onDecided?: () => void,
  ): Promise<{ result: T; recorded: RecordedEvent[] }>;
  eventsBetween(ledgerId: string, firstPosition: number, lastPosition: number): Promise<RecordedEvent[]>;
  /** Each ledger's head and how far the projector has folded it into the balance checkpoints. */
  projectorLag(): Promise<ProjectorLag[]>;
  /** Appends of this store by the way they went (`ledger_appends_total`); absent where it does not count them. */
  appendOutcomes?(): Readonly<Record<string, number>>;
  /**
   * One projector step for the ledger: the balance checkpoints its next `maxEvents` events call
   * for. Answers the position projected to, or null if another session is projecting the ledger
   * (or the database is a replica).
   */
  project(ledgerId: string, maxEvents: number): Promise<number | null>;
  readPoint(ledgerId: string, recordedAsOf: Instant | undefined): Promise<ReadPoint>;
  positionInfo(ledgerId: string, position: number): Promise<{ recordedAt: Instant | null; now: Instant }>;
  ledger(ledgerId: string, position?: number): Promise<LedgerInfo | null>;
  /** A ledger's timezone (fixed at its creation: kept by the store once read), or null if there is no such ledger. */
  ledgerTimezone(ledgerId: string): Promise<string | null>;
  /** The ledger at a point, with the point, in one round trip. */
  ledgerRead(ledgerId: string, at: ReadAt): Promise<PointRead<LedgerInfo>>;
  /** One account's balance sums at (R, E), with the point and the account, in one round trip. */
  balanceRead(ledgerId: string, accountId: string, at: ReadAt, effectiveAt: Instant | undefined): Promise<PointRead<AccountSums>>;
  account(ledgerId: string, accountId: string, position: number): Promise<AccountRow | null>;
  accounts(ledgerId: string, position: number, filter: AccountFilter, after: string | undefined, limit: number): Promise<AccountRow[]>;
  /**
   * Where each page of `pageSize` accounts (within `filter`, in id order) starts: the id its page
   * comes after (undefined: the first), so that the pages can be asked for at once.
   */
  accountPageStarts(ledgerId: string, position: number, filter: AccountFilter, pageSize: number): Promise<(string | undefined)[]>;
  /** The same page of accounts, each with its sums at (position, effectiveAsOf), in one statement. */
  accountsWithSums(
    ledgerId: string, position: number, effectiveAsOf: Instant, filter: AccountFilter, after: string | undefined, limit: number,
  ): Promise<{ readonly account: AccountRow; readonly sums: BalanceSums }[]>;
  transaction(ledgerId: string, transactionId: string, position: number): Promise<TransactionRow | null>;
  transactions(ledgerId: string, position: number, filter: TransactionFilter, afterPosition: number, limit: number): Promise<TransactionRow[]>;
  /** One account's sums at each of several effective times, in that order. */
  balanceSeries(ledgerId: string, accountId: string, position: number, effectiveInstants: readonly Instant[]): Promise<BalanceSums[]>;
  /**
   * An account's posted postings in effective order (ties by position) with the running ledger
   * balance, effective in [effectiveFrom, effectiveTo], after the key `after`.
   */
  statement(ledgerId: string, accountId: string, position: number, normalBalance: 'debit' | 'credit', window: StatementWindow): Promise<StatementRow[]>;
  /**
   * The posted postings at (position, effectiveAsOf), by account, then effective time, position
   * and seq, after the key `after`: one page of the general ledger (the exports page through it).
   */
  generalLedger(ledgerId: string, position: number, effectiveAsOf: Instant, after: GeneralLedgerKey | undefined, limit: number): Promise<GeneralLedgerRow[]>;
  /**
   * A page of the general ledger as CSV records, made by the database (the columns of
   * src/app/exports/general-ledger.ts), after `from`; `scales` gives each currency's scale.
   */
  generalLedgerCsv(
    ledgerId: string, position: number, effectiveAsOf: Instant, from: GeneralLedgerCarry | undefined, scales: ReadonlyMap<string, number>, limit: number,
  ): Promise<GeneralLedgerCsvPage>;
  /**
   * Every page of `generalLedgerCsv` in one stream the database makes (COPY ... TO STDOUT), where
   * the store can: absent on PGlite; null while as many such streams run as the store allows
   * (each holds a connection for as long as its reader takes). Iterate it at once: it gives its
   * connection back when it ends or is stopped.
   */
  generalLedgerCsvStream?(ledgerId: string, position: number, effectiveAsOf: Instant, scales: ReadonlyMap<string, number>): AsyncIterable<GeneralLedgerCsvChunk> | null;
  /** The same postings in log order (position, seq), after `after`: a journal's page. */
  journalPostings(
    ledgerId: string, position: number, effectiveAsOf: Instant, after: { readonly position: number; readonly seq: number } | undefined, limit: number,
  ): Promise<JournalPostingRow[]>;
  /** How many postings the general ledger at (position, effectiveAsOf) lists. */
  generalLedgerSize(ledgerId: string, position: number, effectiveAsOf: Instant): Promise<number>;
  /** Reversals recorded up to `position`, in log order, each with the original, the replacement if any, and the actor. */
  reversals(ledgerId: string, position: number, afterPosition: number, limit: number): Promise<ReversalRow[]>;
  /**
   * The posted postings on the given accounts recorded after `afterPosition` up to `position`,
   * effective in [effectiveFrom, effectiveTo]: what moved those accounts' balances there between
   * the two knowledge times. In log order, at most `limit`.
   */
  postingsBetween(
    ledgerId: string, accountIds: readonly string[], afterPosition: number, position: number,
    effective: { readonly effectiveFrom?: Instant | undefined; readonly effectiveTo: Instant }, limit: number,
  ): Promise<PostingTouch[]>;
  /**
   * The posted postings recorded after the key `after` (position, seq) up to `position`, effective
   * at or before `effectiveTo`, in log order, at most `limit`: what moved any ledger balance at
   * that effective time between two knowledge times (a hold's capture under the hold's id).
   */
  postingsRecorded(
    ledgerId: string, after: { readonly position: number; readonly seq: number }, position: number, effectiveTo: Instant, limit: number,
  ): Promise<(PostingTouch & { readonly seq: number })[]>;
  /** The rejection log, in the order the refusals were judged, judged at positions up to `position`. */
  rejections(ledgerId: string, position: number, filter: { readonly code?: string | undefined }, afterSeq: number, limit: number): Promise<RejectionRow[]>;
  assets(ledgerId: string): Promise<ReadonlyMap<string, Asset>>;
  /** Every named account's sums at (position, effectiveAsOf); zeros for an account with no postings. */
  balanceSums(ledgerId: string, accountIds: readonly string[], position: number, effectiveAsOf: Instant): Promise<ReadonlyMap<string, BalanceSums>>;
  createApiKey(key: Omit<ApiKeyRow, 'revoked'>, keyHash: string): Promise<void>;
  apiKeyByHash(keyHash: string): Promise<ApiKeyRow | null>;
  apiKeyById(keyId: string): Promise<ApiKeyRow | null>;
  revokeApiKey(keyId: string): Promise<void>;
  countApiKeys(): Promise<number>;
}
