import type { AccountType } from './account-type.ts';
import type { Direction, NormalBalance } from './events.ts';
import type { Instant, PlainDate } from './time.ts';

/** An effective time as a client gives it: a timestamp, or a plain date read in the ledger's timezone. */
export type EffectiveInput = Instant | { readonly date: PlainDate };

export interface PostingInput {
  readonly accountId: string;
  readonly direction: Direction;
  readonly amount: string;
  readonly currency?: string | undefined;
}

export interface TransactionInput {
  readonly id: string;
  readonly status: 'posted' | 'pending';
  /** Absent: the commit's recorded time. */
  readonly effectiveAt?: EffectiveInput | undefined;
  readonly expiresAt?: Instant | undefined;
  readonly description: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly postings: readonly PostingInput[];
}

export type Command =
  | { readonly type: 'CreateLedger'; readonly ledgerId: string; readonly name: string; readonly timezone: string }
  | { readonly type: 'DeclareAsset'; readonly code: string; readonly scale: number }
  | {
      readonly type: 'OpenAccount';
      readonly accountId: string;
      readonly name: string;
      readonly normalBalance: NormalBalance;
      readonly currency: string;
      readonly noOverdraft: boolean;
      readonly metadata: Readonly<Record<string, unknown>>;
      /** The account's `type` (named apart from the command's own `type`). */
      readonly accountType?: AccountType | undefined;
    }
  | { readonly type: 'CloseAccount'; readonly accountId: string }
  | { readonly type: 'RecordTransaction'; readonly transaction: TransactionInput }
  | { readonly type: 'ReverseTransaction'; readonly reversal: ReversalInput }
  | {
      readonly type: 'CorrectTransaction';
      readonly reversal: ReversalInput;
      /** Its effective time defaults to the original's. */
      readonly replacement: TransactionInput;
    }
  | { readonly type: 'ClosePeriod'; readonly through: PlainDate }
  | { readonly type: 'PostHold'; readonly resolution: HoldResolutionInput; readonly postings?: readonly PostingInput[] | undefined }
  | { readonly type: 'VoidHold'; readonly resolution: HoldResolutionInput };

export interface HoldResolutionInput {
  readonly holdId: string;
  readonly id?: string | undefined;
  /** Absent: the commit's recorded time. */
  readonly effectiveAt?: EffectiveInput | undefined;
  readonly reason?: string | undefined;
}

/** A full reversal: every posting of the original mirrored. There is no partial one. */
export interface ReversalInput {
  readonly originalId: string;
  readonly id: string;
  readonly reason: string;
  /** Absent: the original's effective time. Never earlier than it. */
  readonly effectiveAt?: EffectiveInput | undefined;
}


