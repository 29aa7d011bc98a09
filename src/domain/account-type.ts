import { reject, type Rejection } from './rejection.ts';

/** What an account is in the chart of accounts (spec section 2): fixed when it is opened. */
export const ACCOUNT_TYPES = ['asset', 'liability', 'equity', 'income', 'expense'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];

/** Asset and expense accounts grow on the debit side; liability, equity and income accounts on the credit side. */
export const NORMAL_BALANCE_OF: Readonly<Record<AccountType, 'debit' | 'credit'>> = {
  asset: 'debit',
  expense: 'debit',
  liability: 'credit',
  equity: 'credit',
  income: 'credit',
};

/** An account's type must agree with its normal balance: the rejection names both fields. */
export function checkTypeAgrees(type: AccountType | undefined, normalBalance: 'debit' | 'credit'): Rejection | null {
  if (type === undefined || NORMAL_BALANCE_OF[type] === normalBalance) return null;
  const expected = NORMAL_BALANCE_OF[type];
  return reject('VALIDATION_FAILED', `Accounts of type ${type} are ${expected}-normal: give "normalBalance": "${expected}", or another type.`, [
    { path: 'type', message: `${type} accounts are ${expected}-normal` },
    { path: 'normalBalance', message: `must be ${expected} for type ${type}` },
  ]);
}
