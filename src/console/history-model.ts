// The account's history on both timelines, from its statement as the head knows it (no DOM; unit
// tested under Node). The log only grows and postings never change, so the statement as known at
// position P is the head's statement cut at P: one read gives every knowledge layer.
import { Decimal, formatAmount, ZERO } from '../domain/money.ts';

export type Direction = 'debit' | 'credit';

export interface StatementItem {
  readonly position: number;
  readonly transactionId: string;
  readonly recordedAt: string;
  readonly effectiveAt: string;
  readonly direction: Direction;
  readonly amount: string;
  readonly runningBalance: string;
  readonly reverses: string | null;
  readonly reversedBy: string | null;
  readonly corrects: string | null;
}

/** The balance right after every entry effective at one time, as one layer knows it. */
export interface Step {
  readonly effectiveAt: string;
  readonly balance: string;
  /** The postings effective at this time in this layer (all of them: they make one step). */
  readonly entries: readonly StatementItem[];
}

/** The account's history as known at `position`: one per position that posted to it. */
export interface Layer {
  readonly position: number;
  readonly recordedAt: string;
  readonly steps: readonly Step[];
  readonly closing: string;
}

const byEffectiveThenPosition = (a: StatementItem, b: StatementItem) =>
  (a.effectiveAt < b.effectiveAt ? -1 : a.effectiveAt > b.effectiveAt ? 1 : a.position - b.position);

/** An amount on the account's normal side, exact (the domain's Decimal, as the service sums them). */
const signed = (item: StatementItem, normalBalance: Direction) => (item.direction === normalBalance ? new Decimal(item.amount) : new Decimal(item.amount).negated());

/** The asset's scale: the API gives every amount of a statement with exactly that many fraction digits. */
const scaleOf = (items: readonly StatementItem[]) => items[0]?.amount.split('.')[1]?.length ?? 0;

function stepsOf(items: readonly StatementItem[], normalBalance: Direction, scale: number): Step[] {
  const steps: Step[] = [];
  let running = ZERO;
  let entries: StatementItem[] = [];
  items.forEach((item, i) => {
    running = running.plus(signed(item, normalBalance));
    entries.push(item);
    if (items[i + 1]?.effectiveAt !== item.effectiveAt) {
      steps.push({ effectiveAt: item.effectiveAt, balance: formatAmount(running, scale), entries });
      entries = [];
    }
  });
  return steps;
}

/**
 * Every knowledge layer, oldest first: entries sharing an effective time make one step. Each
 * layer's closing balance is a running sum in log order; its steps are worked out when first
 * asked for (an account with thousands of layers draws a few of them).
 */
export function layersOf(items: readonly StatementItem[], normalBalance: Direction): Layer[] {
  const scale = scaleOf(items);
  const ordered = [...items].sort(byEffectiveThenPosition);
  const byPosition = [...items].sort((a, b) => a.position - b.position);
  const layers: Layer[] = [];
  let closing = ZERO;
  byPosition.forEach((item, i) => {
    closing = closing.plus(signed(item, normalBalance));
    if (byPosition[i + 1]?.position === item.position) return;
    let steps: Step[] | undefined;
    layers.push({
      position: item.position, recordedAt: item.recordedAt, closing: formatAmount(closing, scale),
      get steps() {
        return (steps ??= stepsOf(ordered.filter((o) => o.position <= item.position), normalBalance, scale));
      },
    });
  });
  return layers;
}

/** The layer the ledger knew at `position`: the last one at or before it. */
export function layerAt(layers: readonly Layer[], position: number): Layer | undefined {
  let found: Layer | undefined;
  for (const layer of layers) if (layer.position <= position) found = layer;
  return found;
}

/** The balance of a layer effective at `effectiveAt` (a UTC timestamp of the API). */
export function balanceAt(layer: Layer, effectiveAt: string, zero: string): string {
  let balance = zero;
  for (const step of layer.steps) if (step.effectiveAt <= effectiveAt) balance = step.balance;
  return balance;
}

/**
 * Where one entry counts in the (E, R) plane: effective from `effectiveAt` on, known from
 * `position` up to the position of its reversal (then, if the reversal is dated later, only up
 * to the reversal's effective time).
 */
export interface Band {
  readonly transactionId: string;
  readonly effectiveAt: string;
  readonly position: number;
  /** Signed on the account's normal side, exact. */
  readonly amount: string;
  readonly reversal: { readonly transactionId: string; readonly position: number; readonly effectiveAt: string } | null;
}

export function bandsOf(items: readonly StatementItem[], normalBalance: Direction): Band[] {
  const scale = scaleOf(items);
  const byTransaction = new Map<string, StatementItem[]>();
  for (const item of items) byTransaction.set(item.transactionId, [...(byTransaction.get(item.transactionId) ?? []), item]);
  const bands: Band[] = [];
  for (const [transactionId, postings] of byTransaction) {
    const first = postings[0]!;
    if (first.reverses !== null && byTransaction.has(first.reverses)) continue; // drawn as the end of its original's band
    const reversal = first.reversedBy === null ? undefined : byTransaction.get(first.reversedBy)?.[0];
    const total = postings.reduce((sum, p) => sum.plus(signed(p, normalBalance)), ZERO);
    bands.push({
      transactionId, effectiveAt: first.effectiveAt, position: first.position, amount: formatAmount(total, scale),
      reversal: reversal ? { transactionId: reversal.transactionId, position: reversal.position, effectiveAt: reversal.effectiveAt } : null,
    });
  }
  return bands;
}
