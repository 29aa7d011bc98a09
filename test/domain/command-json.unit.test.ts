import { describe, expect, it } from 'vitest';
import { commandFromJson, commandToJson } from '../../src/app/command-json.ts';
import type { Command } from '../../src/domain/commands.ts';
import { at } from '../support/decider.ts';

// The rejection log keeps commands as JSON: instants to the microsecond, plain dates as they came.

const transaction = {
  id: 't1', status: 'pending', effectiveAt: at('2026-03-01T10:00:00.123456Z'), expiresAt: at('2026-03-08T00:00:00.000001Z'),
  description: 'd', metadata: { n: 1.5, nested: { at: '2026-01-01T00:00:00Z' } },
  postings: [{ accountId: 'a', direction: 'debit', amount: '1.000000000000000000000000000000000000000000000001' }, { accountId: 'b', direction: 'credit', amount: '1.000000000000000000000000000000000000000000000001' }],
} as const;

const COMMANDS: Command[] = [
  { type: 'CreateLedger', ledgerId: 'l', name: 'L', timezone: 'Europe/Paris' },
  { type: 'DeclareAsset', code: 'PTS', scale: 0 },
  { type: 'OpenAccount', accountId: 'a', name: 'A', normalBalance: 'debit', currency: 'USD', noOverdraft: true, metadata: {} },
  { type: 'CloseAccount', accountId: 'a' },
  { type: 'RecordTransaction', transaction },
  { type: 'RecordTransaction', transaction: { ...transaction, effectiveAt: { date: '2026-03-01' }, expiresAt: undefined } },
  { type: 'ReverseTransaction', reversal: { originalId: 't1', id: 'r1', reason: 'typo', effectiveAt: at('2026-03-02T00:00:00.000001Z') } },
  { type: 'CorrectTransaction', reversal: { originalId: 't1', id: 'r2', reason: 'amount' }, replacement: { ...transaction, id: 't2' } },
  { type: 'ClosePeriod', through: '2026-02-28' },
  { type: 'PostHold', resolution: { holdId: 't1', id: 'p1', effectiveAt: { date: '2026-03-03' } }, postings: transaction.postings },
  { type: 'VoidHold', resolution: { holdId: 't1', reason: 'cancelled', effectiveAt: at('2026-03-04T00:00:00Z') } },
];

/** Absent and undefined fields are the same to a command. */
const defined = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));

describe('commands as JSON', () => {
  it.each(COMMANDS.map((command) => [command.type, command] as const))('%s comes back as it was, instants to the microsecond', (_type, command) => {
    const json = JSON.parse(JSON.stringify(commandToJson(command)));
    expect(defined(commandFromJson(json))).toEqual(defined(command));
  });

  it('writes instants as RFC 3339 with six fraction digits', () => {
    expect(commandToJson(COMMANDS[4]!)).toMatchObject({ transaction: { effectiveAt: '2026-03-01T10:00:00.123456Z', expiresAt: '2026-03-08T00:00:00.000001Z' } });
  });
});
