import type { AccountType } from './account-type.ts';
import type { Instant } from './time.ts';

/**
 * Event payloads are stored and hashed as they are written here, so they hold wire forms:
 * amounts as strings with exactly the asset's scale, times as `formatInstant` strings.
 */
export type Direction = 'debit' | 'credit';
export type NormalBalance = Direction;

export interface Posting {
  readonly accountId: string;
  readonly direction: Direction;
  readonly amount: string;
  readonly currency: string;
}

export interface TransactionData {
  readonly id: string;
  readonly status: 'posted' | 'pending';
  readonly effectiveAt: string;
  readonly expiresAt: string | null;
  readonly description: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly postings: readonly Posting[];
  /** Set on a reversal: the id of the transaction it mirrors. */
  readonly reverses: string | null;
  /** Set on a correction's replacement: the id of the transaction it replaces. */
  readonly corrects: string | null;
  /** Why a reversal was recorded. */
  readonly reason: string | null;
}

export type LedgerEvent =
  | { readonly type: 'LedgerCreated'; readonly data: { readonly ledgerId: string; readonly name: string; readonly timezone: string } }
  | { readonly type: 'AssetDeclared'; readonly data: { readonly code: string; readonly scale: number } }
  | {
      readonly type: 'AccountOpened';
      readonly data: {
        readonly accountId: string;
        readonly name: string;
        readonly normalBalance: NormalBalance;
        readonly currency: string;
        readonly noOverdraft: boolean;
        readonly metadata: Readonly<Record<string, unknown>>;
        /** Absent when the client gave none: such events hash and replay exactly as before types existed. */
        readonly type?: AccountType;
      };
    }
  | { readonly type: 'AccountClosed'; readonly data: { readonly accountId: string } }
  | { readonly type: 'TransactionRecorded'; readonly data: TransactionData }
  | { readonly type: 'PeriodClosed'; readonly data: { readonly through: string } }
  | { readonly type: 'HoldPosted'; readonly data: HoldResolutionData & { readonly postings: readonly Posting[] } }
  | { readonly type: 'HoldVoided'; readonly data: HoldResolutionData };

/** How a hold was resolved: by a post (capture) or a void, at its own effective time. */
export interface HoldResolutionData {
  readonly holdId: string;
  /** The client's id for the resolution, when it gave one (its idempotency key). */
  readonly id: string | null;
  readonly effectiveAt: string;
  readonly reason: string | null;
}


/** An event as the log holds it: its place, its recorded time and who produced it. */
export interface RecordedEvent {
  readonly ledgerId: string;
  readonly position: number;
  readonly recordedAt: Instant;
  readonly actor: string;
  readonly requestId: string;
  readonly prevHash: string;
  readonly hash: string;
  readonly event: LedgerEvent;
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
