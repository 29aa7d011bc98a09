// The API's answers the console reads (the fields it uses), and the session's state.
import type { Api } from './api.ts';
import type { Direction, StatementItem } from './history-model.ts';

export interface AsOf {
  readonly position: number;
  readonly recordedAt: string | null;
  readonly effectiveAt: string;
}

export interface Ledger {
  readonly id: string;
  readonly name: string;
  readonly timezone: string;
  readonly head: number;
  readonly closedThrough: string | null;
}

export interface Account {
  readonly id: string;
  readonly currency: string;
  readonly normalBalance: Direction;
}

export interface Sides {
  readonly debits: string;
  readonly credits: string;
}

export interface Balance {
  readonly accountId: string;
  readonly currency: string;
  readonly normalBalance: Direction;
  readonly ledgerBalance: string;
  readonly availableBalance: string;
  readonly posted: Sides;
  readonly pending: Sides;
  readonly scheduled: Sides;
  readonly asOf: AsOf;
}

export interface Posting {
  readonly accountId: string;
  readonly direction: Direction;
  readonly amount: string;
  readonly currency?: string;
}

export interface Transaction {
  readonly id: string;
  readonly status: string;
  readonly effectiveAt: string;
  readonly expiresAt: string | null;
  readonly description: string;
  readonly postings: readonly Posting[];
  readonly reverses: string | null;
  readonly reversedBy: string | null;
  readonly corrects: string | null;
  readonly correctedBy: string | null;
  readonly reason: string | null;
  readonly position: number;
  readonly recordedAt: string;
  /** A hold's post or void. */
  readonly resolution?: { readonly type: string; readonly position: number; readonly recordedAt: string; readonly effectiveAt: string; readonly reason: string | null } | null;
}

export interface LogEvent {
  readonly position: number;
  readonly type: string;
  readonly recordedAt: string;
  readonly actor: string;
  readonly requestId: string;
  readonly prevHash: string;
  readonly hash: string;
  readonly data: Record<string, unknown>;
}

export interface Statement {
  readonly items: readonly StatementItem[];
  readonly complete: boolean;
}

export interface Session {
  readonly api: Api;
  /** auditor or admin: may read reversals, restatements, rejections, the feed and the chain. */
  readonly auditor: boolean;
  ledger: Ledger | null;
  accounts: readonly Account[];
  balance: Balance | null;
}

export const postingsText = (t: { postings: readonly Posting[] }) =>
  t.postings.map((p) => `${p.direction} ${p.accountId} ${p.amount}${p.currency ? ` ${p.currency}` : ''}`).join('; ');
