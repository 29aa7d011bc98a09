import type { Command, EffectiveInput, PostingInput } from '../domain/commands.ts';
import { AMOUNT_PATTERN, ZERO, type Decimal } from '../domain/money.ts';
import { earliestStartOfDay } from '../domain/time.ts';
import type { IdempotencyClaim, StateNeeds } from './ports.ts';

/** One write as the use cases take it: the command, who asks, and what makes it idempotent. */
export interface WriteRequest {
  readonly command: Command;
  /** The natural key (a transaction's id) and the `Idempotency-Key`, when there are. */
  readonly claims: readonly IdempotencyClaim[];
  /** What a retry must repeat exactly to be a replay: the request's path parameters and body. */
  readonly request: unknown;
  readonly actor: string;
  readonly requestId: string;
}

/** The natural idempotency key of a command: the id that the client chose for what it creates. */
export function naturalClaim(command: Command): IdempotencyClaim | null {
  switch (command.type) {
    case 'CreateLedger':
      return { scope: 'ledger', key: command.ledgerId };
    case 'DeclareAsset':
      return { scope: 'asset', key: command.code };
    case 'OpenAccount':
      return { scope: 'account', key: command.accountId };
    case 'RecordTransaction':
      return { scope: 'transaction', key: command.transaction.id };
    case 'ReverseTransaction':
      return { scope: 'transaction', key: command.reversal.id };
    case 'CorrectTransaction':
      return { scope: 'transaction', key: command.replacement.id };
    case 'PostHold':
    case 'VoidHold':
      return command.resolution.id === undefined ? null : { scope: 'transaction', key: command.resolution.id };
    case 'CloseAccount':
    case 'ClosePeriod':
      return null;
  }
}

/** The accounts and transactions the decisions of a batch will look at. */
export function needsOf(requests: readonly WriteRequest[]): StateNeeds {
  const accountIds = new Set<string>();
  const transactionIds = new Set<string>();
  for (const { command } of requests) {
    if (command.type === 'OpenAccount' || command.type === 'CloseAccount') accountIds.add(command.accountId);
    const transactions = command.type === 'RecordTransaction' ? [command.transaction] : command.type === 'CorrectTransaction' ? [command.replacement] : [];
    for (const transaction of transactions) {
      transactionIds.add(transaction.id);
      for (const posting of transaction.postings) accountIds.add(posting.accountId);
    }
    if (command.type === 'PostHold' || command.type === 'VoidHold') transactionIds.add(command.resolution.holdId);
    if (command.type === 'ReverseTransaction' || command.type === 'CorrectTransaction') {
      transactionIds.add(command.reversal.originalId);
      transactionIds.add(command.reversal.id);
    }
  }
  const times = requests.flatMap(({ command }) => effectiveInputsOf(command)).map((t) => (typeof t === 'bigint' ? t : earliestStartOfDay(t.date)));
  const earliestEffectiveAt = times.length === 0 ? null : times.reduce((a, b) => (a < b ? a : b));
  // An amount that is not one (the decision refuses it) leaves its side's sum unknown: null.
  const sides = new Map<string, { accountId: string; direction: 'debit' | 'credit'; amount: Decimal | null }>();
  for (const { command } of requests) {
    for (const p of postingsOf(command)) {
      const side = `${p.direction} ${p.accountId}`;
      const sum = sides.has(side) ? sides.get(side)!.amount : ZERO;
      const amount = sum === null || !AMOUNT_PATTERN.test(p.amount) ? null : sum.plus(p.amount);
      sides.set(side, { accountId: p.accountId, direction: p.direction, amount });
    }
  }
  const mirrors = requests.some(({ command }) => command.type === 'ReverseTransaction' || command.type === 'CorrectTransaction' || command.type === 'PostHold');
  const namesTransactions = mirrors || requests.some(({ command }) => command.type === 'VoidHold');
  return {
    accountIds: [...accountIds], transactionIds: [...transactionIds], claims: requests.flatMap((r) => r.claims), earliestEffectiveAt,
    postingSides: [...sides.values()].map((s) => ({ ...s, amount: s.amount?.toFixed() ?? null })), mirrors, namesTransactions,
  };
}

/** The postings a command gives itself. */
function postingsOf(command: Command): readonly PostingInput[] {
  switch (command.type) {
    case 'RecordTransaction':
      return command.transaction.postings;
    case 'CorrectTransaction':
      return command.replacement.postings;
    case 'PostHold':
      return command.postings ?? [];
    default:
      return [];
  }
}

/** The effective times a command gives explicitly. */
function effectiveInputsOf(command: Command): EffectiveInput[] {
  const given = (...inputs: (EffectiveInput | undefined)[]) => inputs.filter((t): t is EffectiveInput => t !== undefined);
  switch (command.type) {
    case 'RecordTransaction':
      return given(command.transaction.effectiveAt);
    case 'ReverseTransaction':
      return given(command.reversal.effectiveAt);
    case 'CorrectTransaction':
      return given(command.reversal.effectiveAt, command.replacement.effectiveAt);
    case 'PostHold':
    case 'VoidHold':
      return given(command.resolution.effectiveAt);
    default:
      return [];
  }
}
