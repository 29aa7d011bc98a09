import type { AccountType } from '../../domain/account-type.ts';
import type { NormalBalance } from '../../domain/events.ts';

// Names as Beancount 2 reads them. An account is a root (Assets, Liabilities, Equity, Income,
// Expenses) and components that start with a capital letter or a digit and go on with letters,
// digits and `-`; a commodity is capitals, digits and `'._-`, ending with a capital or a digit;
// a link is letters, digits and `-_/.`.

const ROOT_OF_TYPE: Readonly<Record<AccountType, string>> = {
  asset: 'Assets', liability: 'Liabilities', equity: 'Equity', income: 'Income', expense: 'Expenses',
};

/** Where untyped accounts go: under the root of their normal side, apart from the typed ones. */
export const UNCLASSIFIED = 'Unclassified';

const KEPT = /[A-Za-z0-9]/;

/** `-XX` (upper-case hex) for every character but letters and digits: `_` is `-5F`, `.` is `-2E`, `-` is `-2D`. */
function escaped(text: string): string {
  let out = '';
  for (const c of text) out += KEPT.test(c) ? c : `-${c.codePointAt(0)!.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/**
 * One component of an account id (split on `:`) as a Beancount component, injectively: a first
 * lower-case letter is capitalised (`bank` is `Bank`); a first capital is kept and marked by a
 * trailing `-` (`Bank` is `Bank-`); a first digit is kept; a component that is empty or starts
 * with anything else is written `X` + the escaped component + `-x` (`_tmp` is `X-5Ftmp-x`).
 * Every other character but letters and digits is `-XX`. An escape is `-` and two hex digits, so
 * a trailing `-` or `-x` is never part of one, and the original can always be read back.
 */
export function beancountComponent(component: string, forcePrefixed = false): string {
  const first = component[0];
  if (first === undefined || !KEPT.test(first) || forcePrefixed) return `X${escaped(component)}-x`;
  const rest = escaped(component.slice(1));
  if (/[a-z]/.test(first)) return `${first.toUpperCase()}${rest}`;
  if (/[A-Z]/.test(first)) return `${first}${rest}-`;
  return `${first}${rest}`;
}

/**
 * An account as a Beancount account name: the root of its type, then its id's components. An
 * untyped account goes under `Assets:Unclassified` (debit-normal) or `Liabilities:Unclassified`
 * (credit-normal); a typed account whose first component is `unclassified` has it written in the
 * prefixed form, so the two never meet.
 */
export function beancountAccount(accountId: string, type: AccountType | null | undefined, normalBalance: NormalBalance): string {
  const components = accountId.split(':');
  if (type === null || type === undefined) {
    const root = normalBalance === 'debit' ? 'Assets' : 'Liabilities';
    return [root, UNCLASSIFIED, ...components.map((c) => beancountComponent(c))].join(':');
  }
  return [ROOT_OF_TYPE[type], ...components.map((c, i) => beancountComponent(c, i === 0 && c.toLowerCase() === UNCLASSIFIED.toLowerCase()))].join(':');
}

/**
 * An asset code (`[A-Z][A-Z0-9_]{1,15}`) as a commodity: as it is, unless it ends with `_`
 * (Beancount wants a capital or a digit last); then `-0` is added (no code holds a `-`).
 */
export function beancountCommodity(code: string): string {
  return code.endsWith('_') ? `${code}-0` : code;
}

/** A transaction id as a link: `:` (not allowed in links) is `/`, which no id holds. */
export function beancountLink(id: string): string {
  return id.replaceAll(':', '/');
}

/** A string literal: `\` and `"` escaped, control characters as spaces. */
export function beancountString(text: string): string {
  return `"${String(text).replace(/[\p{Cc}\u2028\u2029]/gu, ' ').replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
