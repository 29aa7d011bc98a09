import { assertNever, type RecordedEvent } from '../../domain/events.ts';
import { formatInstant } from '../../domain/time.ts';

/**
 * Rows of the projections that an append writes beside its events, one array per table: the
 * read models, a left fold over the log that `npm run rebuild` can redo from position 1.
 */
export interface ProjectionRows {
  ledgers: Record<string, unknown>[];
  assets: Record<string, unknown>[];
  accounts: Record<string, unknown>[];
  account_closures: Record<string, unknown>[];
  transactions: Record<string, unknown>[];
  postings: Record<string, unknown>[];
  period_closes: Record<string, unknown>[];
  hold_resolutions: Record<string, unknown>[];
}

export const PROJECTION_TABLES = ['ledgers', 'assets', 'accounts', 'account_closures', 'transactions', 'postings', 'period_closes', 'hold_resolutions'] as const;

export function emptyProjectionRows(): ProjectionRows {
  return { ledgers: [], assets: [], accounts: [], account_closures: [], transactions: [], postings: [], period_closes: [], hold_resolutions: [] };
}

/** Adds one event's projection rows: the read models are a fold over the log. */
export function project(rows: ProjectionRows, recorded: RecordedEvent): ProjectionRows {
  const { event, position, ledgerId } = recorded;
  const recordedAt = formatInstant(recorded.recordedAt);
  const push = (table: keyof ProjectionRows, row: Record<string, unknown>) => rows[table].push({ ledger_id: ledgerId, ...row });
  switch (event.type) {
    case 'LedgerCreated':
      push('ledgers', { name: event.data.name, timezone: event.data.timezone, recorded_at: recordedAt });
      break;
    case 'AssetDeclared':
      push('assets', { code: event.data.code, scale: event.data.scale, position });
      break;
    case 'AccountOpened': {
      const d = event.data;
      push('accounts', {
        account_id: d.accountId, name: d.name, normal_balance: d.normalBalance, currency: d.currency,
        no_overdraft: d.noOverdraft, metadata: d.metadata, type: d.type ?? null, position, recorded_at: recordedAt,
      });
      break;
    }
    case 'AccountClosed':
      push('account_closures', { account_id: event.data.accountId, position, recorded_at: recordedAt });
      break;
    case 'TransactionRecorded': {
      const t = event.data;
      push('transactions', {
        transaction_id: t.id, position, status: t.status, effective_at: t.effectiveAt, recorded_at: recordedAt,
        reverses: t.reverses, corrects: t.corrects, data: t,
      });
      t.postings.forEach((p, seq) =>
        push('postings', {
          position, seq, transaction_id: t.id, account_id: p.accountId, direction: p.direction, amount: p.amount,
          currency: p.currency, status: t.status, effective_at: t.effectiveAt, recorded_at: recordedAt, expires_at: t.expiresAt,
        }),
      );
      break;
    }
    case 'HoldPosted':
    case 'HoldVoided': {
      const d = event.data;
      push('hold_resolutions', {
        hold_id: d.holdId, position, type: event.type === 'HoldPosted' ? 'posted' : 'voided', effective_at: d.effectiveAt, recorded_at: recordedAt, data: d,
      });
      if (event.type === 'HoldPosted') {
        event.data.postings.forEach((p, seq) =>
          push('postings', {
            position, seq, transaction_id: d.holdId, account_id: p.accountId, direction: p.direction, amount: p.amount,
            currency: p.currency, status: 'posted', effective_at: d.effectiveAt, recorded_at: recordedAt, expires_at: null,
          }),
        );
      }
      break;
    }
    case 'PeriodClosed':
      push('period_closes', { position, through: event.data.through, recorded_at: recordedAt });
      break;
    default:
      assertNever(event);
  }
  return rows;
}
