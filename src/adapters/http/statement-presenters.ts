import type { AsOf } from '../../app/as-of.ts';
import type { TransactionRow } from '../../app/ports.ts';
import type { ComparedStatement, StatementLine, StatementSection, Totals } from '../../app/statements.ts';
import type { Asset } from '../../domain/assets.ts';
import { formatAmount, type Decimal } from '../../domain/money.ts';
import { presentTransaction } from './presenters.ts';

// The statements of spec section 11 on the wire: amounts as exact decimal strings with their
// asset's scale; side by side, each line and figure with the compared one and the difference.

const amounts = <K extends string>(values: Readonly<Record<K, Decimal>>, asset: Asset) =>
  Object.fromEntries(Object.entries<Decimal>(values).map(([k, v]) => [k, formatAmount(v, asset.scale)])) as Record<K, string>;

function presentLine({ account, asset, amount }: StatementLine) {
  return {
    accountId: account.accountId, name: account.name, type: account.type ?? null, normalBalance: account.normalBalance,
    currency: asset.code, amount: formatAmount(amount, asset.scale),
  };
}

/** A statement at one knowledge time. */
export function presentStatement<K extends string>(statement: { readonly sections: readonly StatementSection[]; readonly totals: readonly Totals<K>[] }) {
  return {
    sections: statement.sections.map((s) => ({
      section: s.key, side: s.side, lines: s.lines.map(presentLine),
      totals: s.totals.map((t) => ({ currency: t.asset.code, amount: formatAmount(t.amount, t.asset.scale) })),
    })),
    totals: statement.totals.map((t) => ({ currency: t.asset.code, ...amounts(t.values, t.asset) })),
  };
}

/** What lies behind the differences: the entries, and for each changed account the ids of those touching it. */
export interface Behind {
  readonly rows: readonly TransactionRow[];
  readonly byAccount: ReadonlyMap<string, readonly string[]>;
  readonly complete: boolean;
  /** The later of the two points: the entries are shown as known there. */
  readonly later: AsOf;
}

/** A statement at two knowledge times, side by side, with the entries behind each difference. */
export function presentComparison<K extends string>(statement: ComparedStatement<K>, behind: Behind) {
  return {
    sections: statement.sections.map((s) => ({
      section: s.key, side: s.side,
      lines: s.lines.map((l) => ({
        ...presentLine(l), compareAmount: formatAmount(l.compareAmount, l.asset.scale), difference: formatAmount(l.difference, l.asset.scale),
        entries: behind.byAccount.get(l.account.accountId) ?? [],
      })),
      totals: s.totals.map((t) => ({
        currency: t.asset.code, amount: formatAmount(t.amount, t.asset.scale),
        compareAmount: formatAmount(t.compareAmount, t.asset.scale), difference: formatAmount(t.difference, t.asset.scale),
      })),
    })),
    totals: statement.totals.map((t) => ({
      currency: t.asset.code, ...amounts(t.values, t.asset), compare: amounts(t.compareValues, t.asset), difference: amounts(t.differences, t.asset),
    })),
    entries: behind.rows.map((row) => presentTransaction(row, behind.later)),
    entriesComplete: behind.complete,
  };
}
