import type { Asset } from '../domain/assets.ts';
import { balanceOf, type Balance, type BalanceParts, type Sides } from '../domain/balance.ts';
import type { NormalBalance } from '../domain/events.ts';
import { ZERO } from '../domain/money.ts';
import type { AccountBalance } from './balances.ts';

/** The separator of account paths (`assets:bank:checking`). */
export const PATH_SEPARATOR = ':';

/**
 * One sub-tree of account paths in one currency: the accounts whose id is `path` or starts with
 * `path:`, summed as if they were one account on `normalBalance` (the side its accounts share, or
 * debit when they differ: then `mixedNormalBalances`), so that its balances are the sums of theirs
 * when they share a side.
 */
export interface Rollup {
  readonly path: string;
  /** The number of segments of `path`: 1 for `assets`. */
  readonly depth: number;
  readonly asset: Asset;
  readonly accounts: number;
  readonly normalBalance: NormalBalance;
  readonly mixedNormalBalances: boolean;
  readonly balance: Balance;
}

export interface RollupOptions {
  /** Only the sub-trees whose path starts with this (those whose every account the listing holds). */
  readonly prefix?: string | undefined;
  /** Sub-trees at depths 1 to this; every depth when absent. */
  readonly depth?: number | undefined;
}

interface Node {
  readonly path: string;
  readonly depth: number;
  readonly asset: Asset;
  accounts: number;
  sides: Set<NormalBalance>;
  parts: BalanceParts;
}

const plus = (a: Sides, b: Sides): Sides => ({ debits: a.debits.plus(b.debits), credits: a.credits.plus(b.credits) });
const NO_SIDES: Sides = { debits: ZERO, credits: ZERO };
const NO_PARTS: BalanceParts = { posted: NO_SIDES, pending: NO_SIDES, scheduled: NO_SIDES };

/** The paths of an account's sub-trees, shortest first: `a`, `a:b`, `a:b:c` for `a:b:c`. */
export function ancestorPaths(accountId: string): string[] {
  const segments = accountId.split(PATH_SEPARATOR);
  return segments.map((_, i) => segments.slice(0, i + 1).join(PATH_SEPARATOR));
}

/**
 * Every sub-tree of the given accounts' paths (within `options`), per currency, in tree order
 * then by currency: each one's posted, pending and scheduled sides are the exact sums of its accounts'.
 */
export function rollUp(balances: readonly AccountBalance[], options: RollupOptions = {}): Rollup[] {
  const nodes = new Map<string, Node>();
  for (const { account, asset, balance } of balances) {
    for (const [index, path] of ancestorPaths(account.accountId).entries()) {
      if (options.depth !== undefined && index + 1 > options.depth) break;
      if (options.prefix !== undefined && !path.startsWith(options.prefix)) continue;
      const key = `${path}\u0000${asset.code}`;
      const node = nodes.get(key) ?? { path, depth: index + 1, asset, accounts: 0, sides: new Set(), parts: NO_PARTS };
      node.accounts += 1;
      node.sides.add(account.normalBalance);
      node.parts = { posted: plus(node.parts.posted, balance.posted), pending: plus(node.parts.pending, balance.pending), scheduled: plus(node.parts.scheduled, balance.scheduled) };
      nodes.set(key, node);
    }
  }
  // Tree order: a path's sub-trees right after it (`a`, `a:b`, `a-c`), then by currency.
  const order = (n: Node) => `${n.path.replaceAll(PATH_SEPARATOR, '\u0001')}\u0000${n.asset.code}`;
  return [...nodes.values()]
    .sort((a, b) => (order(a) < order(b) ? -1 : 1))
    .map((node) => {
      const normalBalance: NormalBalance = node.sides.size === 1 ? [...node.sides][0]! : 'debit';
      return {
        path: node.path, depth: node.depth, asset: node.asset, accounts: node.accounts, normalBalance,
        mixedNormalBalances: node.sides.size > 1, balance: balanceOf(node.parts, normalBalance),
      };
    });
}
