import type { AsOf } from '../../app/as-of.ts';
import type { AccountBalance } from '../../app/balances.ts';
import type { AccountRow, LedgerInfo, TransactionRow } from '../../app/ports.ts';
import type { Rollup } from '../../app/rollups.ts';
import type { Balance } from '../../domain/balance.ts';
import type { Posting, RecordedEvent, TransactionData } from '../../domain/events.ts';
import { formatAmount } from '../../domain/money.ts';
import { formatInstant, parseTimestamp, type Instant } from '../../domain/time.ts';

/** The response shapes of the API, built from recorded events and projection rows. */

export function presentAsOf(asOf: AsOf) {
  return {
    position: asOf.position,
    recordedAt: asOf.recordedAt === null ? null : formatInstant(asOf.recordedAt),
    effectiveAt: formatInstant(asOf.effectiveAt),
  };
}

export function presentLedger(info: LedgerInfo) {
  return { id: info.ledgerId, name: info.name, timezone: info.timezone, head: info.head, closedThrough: info.closedThrough };
}

/** The event a write recorded, in the shape of the resource it created or changed. */
function stamp(event: RecordedEvent) {
  return { position: event.position, recordedAt: formatInstant(event.recordedAt) };
}

export function presentCreatedLedger(event: RecordedEvent) {
  if (event.event.type !== 'LedgerCreated') throw new Error(`expected LedgerCreated, got ${event.event.type}`);
  const d = event.event.data;
  return { id: d.ledgerId, name: d.name, timezone: d.timezone, head: event.position, closedThrough: null, ...stamp(event) };
}

export function presentDeclaredAsset(event: RecordedEvent) {
  if (event.event.type !== 'AssetDeclared') throw new Error(`expected AssetDeclared, got ${event.event.type}`);
  return { ...event.event.data, ...stamp(event) };
}

export function presentAccount(account: Omit<AccountRow, 'position' | 'recordedAt'>, position: number, recordedAt: Instant) {
  return {
    id: account.accountId, name: account.name, normalBalance: account.normalBalance, currency: account.currency,
    noOverdraft: account.noOverdraft, metadata: account.metadata, type: account.type ?? null, status: account.closed ? ('closed' as const) : ('open' as const),
    position, recordedAt: formatInstant(recordedAt),
  };
}

type Resolution = TransactionRow['resolution'];

/**
 * A transaction's status as of a read: a hold is pending, posted, voided, or expired at the read's
 * effective time (the balance rule: a hold counts while `expiresAt > E`), so `asOf` reproduces it.
 */
function statusOf(data: TransactionData, resolution: Resolution, effectiveAt: Instant | null) {
  if (data.status === 'posted') return 'posted' as const;
  if (resolution) return resolution.type;
  const expired = data.expiresAt !== null && effectiveAt !== null && parseTimestamp(data.expiresAt)! <= effectiveAt;
  return expired ? ('expired' as const) : ('pending' as const);
}

function presentResolution(resolution: Resolution) {
  if (!resolution) return null;
  return {
    type: resolution.type, position: resolution.position, recordedAt: formatInstant(resolution.recordedAt),
    effectiveAt: resolution.effectiveAt, postings: resolution.postings.map(presentPosting), reason: resolution.reason,
  };
}

const presentPosting = (p: Posting) => ({ accountId: p.accountId, direction: p.direction, amount: p.amount, currency: p.currency });

export function presentTransactionData(
  data: TransactionData,
  links: { reversedBy: string | null; correctedBy: string | null; resolution?: Resolution },
  position: number,
  recordedAt: Instant,
  effectiveAt: Instant | null = null,
) {
  const resolution = links.resolution ?? null;
  return {
    id: data.id, status: statusOf(data, resolution, effectiveAt), resolution: presentResolution(resolution), effectiveAt: data.effectiveAt, expiresAt: data.expiresAt, description: data.description,
    metadata: data.metadata,
    postings: data.postings.map(presentPosting),
    reverses: data.reverses, reversedBy: links.reversedBy,
    corrects: data.corrects, correctedBy: links.correctedBy, reason: data.reason, position, recordedAt: formatInstant(recordedAt),
  };
}

/** A transaction as of a read, whose effective time tells whether a hold has expired. */
export function presentTransaction(row: TransactionRow, asOf?: Pick<AsOf, 'effectiveAt'>) {
  return presentTransactionData(row.data, row, row.position, row.recordedAt, asOf?.effectiveAt ?? null);
}

/** A transaction as its recording event shows it: no later links. */
export function presentRecordedTransaction(event: RecordedEvent) {
  if (event.event.type !== 'TransactionRecorded') throw new Error(`expected TransactionRecorded, got ${event.event.type}`);
  return presentTransactionData(event.event.data, { reversedBy: null, correctedBy: null }, event.position, event.recordedAt);
}

/** A balance's amounts, each with exactly the asset's scale. */
/** Zero at each scale, written once: most sums of a trial balance are zero. */
const zeroAt: string[] = [];

function presentBalanceAmounts(balance: Balance, scale: number) {
  const amount = (value: Balance['ledgerBalance']) => (value.isZero() ? (zeroAt[scale] ??= formatAmount(value, scale)) : formatAmount(value, scale));
  const sides = (s: Balance['posted']) => ({ debits: amount(s.debits), credits: amount(s.credits) });
  const ledgerBalance = amount(balance.ledgerBalance);
  return {
    ledgerBalance, availableBalance: balance.availableBalance === balance.ledgerBalance ? ledgerBalance : amount(balance.availableBalance),
    posted: sides(balance.posted), pending: sides(balance.pending), scheduled: sides(balance.scheduled),
  };
}

export function presentBalance(balance: AccountBalance, asOf: AsOf) {
  return presentBalanceAt(balance, presentAsOf(asOf));
}

function presentBalanceAt({ account, asset, balance }: AccountBalance, shownAsOf: ReturnType<typeof presentAsOf>) {
  return {
    accountId: account.accountId, currency: account.currency, normalBalance: account.normalBalance,
    ...presentBalanceAmounts(balance, asset.scale),
    asOf: shownAsOf,
  };
}

/** Balances at one point (a trial balance): the point written once and shared by every item. */
export function presentBalances(balances: readonly AccountBalance[], asOf: AsOf) {
  const shownAsOf = presentAsOf(asOf);
  return balances.map((b) => presentBalanceAt(b, shownAsOf));
}

export function presentRollup({ path, depth, asset, accounts, normalBalance, mixedNormalBalances, balance }: Rollup) {
  return { path, depth, currency: asset.code, accounts, normalBalance, mixedNormalBalances, ...presentBalanceAmounts(balance, asset.scale) };
}
