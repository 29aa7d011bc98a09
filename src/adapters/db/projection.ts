import { assertNever, type RecordedEvent } from '../../domain/events.ts';
import { formatInstant } from '../../domain/time.ts';

/** Rows of the projections that an append writes beside its events, one array per table. */
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

export function emptyProjectionRows(): ProjectionRows {
  return { ledgers: [], assets: [], accounts: [], account_closures: [], transactions: [], postings: [], period_closes: [], hold_resolutions: [] };
}

/** Adds one event's projection rows: the read models are a fold over the log. */
export function project(rows: ProjectionRows, recorded: RecordedEvent): ProjectionRows {
  const { event, position } = recorded;
  const recordedAt = formatInstant(recorded.recordedAt);
  switch (event.type) {
    case 'LedgerCreated':
      rows.ledgers.push({ ledger_id: event.data.ledgerId, name: event.data.name, timezone: event.data.timezone, recorded_at: recordedAt });
      break;
    case 'AssetDeclared':
      rows.assets.push({ code: event.data.code, scale: event.data.scale, position });
      break;
    case 'AccountOpened': {
      const d = event.data;
      rows.accounts.push({
        account_id: d.accountId, name: d.name, normal_balance: d.normalBalance, currency: d.currency,
        no_overdraft: d.noOverdraft, metadata: d.metadata, position, recorded_at: recordedAt,
      });
      break;
    }
    case 'AccountClosed':
      rows.account_closures.push({ account_id: event.data.accountId, position, recorded_at: recordedAt });
      break;
    case 'TransactionRecorded': {
      const t = event.data;
      rows.transactions.push({
        transaction_id: t.id, position, status: t.status, effective_at: t.effectiveAt, recorded_at: recordedAt,
        reverses: t.reverses, corrects: t.corrects, data: t,
      });
      t.postings.forEach((p, seq) =>
        rows.postings.push({
          position, seq, transaction_id: t.id, account_id: p.accountId, direction: p.direction, amount: p.amount,
          currency: p.currency, status: t.status, effective_at: t.effectiveAt, recorded_at: recordedAt, expires_at: t.expiresAt,
        }),
      );
      break;
    }
    case 'HoldPosted':
    case 'HoldVoided': {
      const d = event.data;
      rows.hold_resolutions.push({
        hold_id: d.holdId, position, type: event.type === 'HoldPosted' ? 'posted' : 'voided', effective_at: d.effectiveAt, recorded_at: recordedAt, data: d,
      });
      if (event.type === 'HoldPosted') {
        event.data.postings.forEach((p, seq) =>
          rows.postings.push({
            position, seq, transaction_id: d.holdId, account_id: p.accountId, direction: p.direction, amount: p.amount,
            currency: p.currency, status: 'posted', effective_at: d.effectiveAt, recorded_at: recordedAt, expires_at: null,
          }),
        );
      }
      break;
    }
    case 'PeriodClosed':
      rows.period_closes.push({ position, through: event.data.through, recorded_at: recordedAt });
      break;
    default:
      assertNever(event);
  }
  return rows;
}
