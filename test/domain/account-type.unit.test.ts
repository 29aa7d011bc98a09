import { describe, expect, it } from 'vitest';
import { hashEvent, GENESIS_HASH } from '../../src/app/hash-chain.ts';
import { ACCOUNT_TYPES, NORMAL_BALANCE_OF, type AccountType } from '../../src/domain/account-type.ts';
import type { Command } from '../../src/domain/commands.ts';
import type { LedgerEvent } from '../../src/domain/events.ts';
import { at, given, ledgerCreated } from '../support/decider.ts';

// Spec section 2: an account's optional type, fixed at opening, agreeing with its normal balance.

const NOW = '2026-03-10T12:00:00Z';

const open = (accountId: string, normalBalance: 'debit' | 'credit', accountType?: AccountType): Command => ({
  type: 'OpenAccount', accountId, name: accountId, normalBalance, currency: 'USD', noOverdraft: false, metadata: {},
  ...(accountType === undefined ? {} : { accountType }),
});

describe('OpenAccount with a type', () => {
  it.each(ACCOUNT_TYPES)('opens a %s account on its normal side, the type in the event', (type) => {
    const normalBalance = NORMAL_BALANCE_OF[type];
    given(ledgerCreated()).when(open(`${type}:x`, normalBalance, type), { recordedAt: NOW }).then([
      { type: 'AccountOpened', data: { accountId: `${type}:x`, name: `${type}:x`, normalBalance, currency: 'USD', noOverdraft: false, metadata: {}, type } },
    ]);
  });

  it.each(ACCOUNT_TYPES)('refuses a %s account on the other side, naming both fields', (type) => {
    const other = NORMAL_BALANCE_OF[type] === 'debit' ? 'credit' : 'debit';
    const rejection = given(ledgerCreated()).when(open('x', other, type), { recordedAt: NOW }).thenRejects('VALIDATION_FAILED');
    expect(rejection.errors?.map((e) => e.path)).toEqual(['type', 'normalBalance']);
    expect(rejection.detail).toContain(`"normalBalance": "${NORMAL_BALANCE_OF[type]}"`);
  });

  it('writes no type key at all for an account opened without one: its event is the one written before types existed', () => {
    const [event] = given(ledgerCreated()).when(open('bank', 'debit'), { recordedAt: NOW }).thenAccepts();
    expect(event!.type).toBe('AccountOpened');
    expect(Object.keys(event!.data).sort()).toEqual(['accountId', 'currency', 'metadata', 'name', 'noOverdraft', 'normalBalance']);
  });

  it('hashes an untyped AccountOpened exactly as before types existed (a fixed vector)', () => {
    const event: LedgerEvent = { type: 'AccountOpened', data: { accountId: 'bank', name: 'bank', normalBalance: 'debit', currency: 'USD', noOverdraft: false, metadata: {} } };
    const recorded = { ledgerId: 'acme', position: 2, recordedAt: at('2026-03-01T10:00:00Z'), actor: 'key_a', requestId: 'r1', prevHash: GENESIS_HASH, event };
    expect(hashEvent(recorded)).toBe(UNTYPED_HASH);
    // A type, where there is one, is part of what is hashed.
    expect(hashEvent({ ...recorded, event: { ...event, data: { ...event.data, type: 'asset' } } })).not.toBe(UNTYPED_HASH);
  });
});

// Computed by the hash chain of commit 59e1d33, before account types.
const UNTYPED_HASH = 'ab4daf79d98f1240939c438108fdba77bb8ae1c74fadb79d30c8c682f1fbbb38';
