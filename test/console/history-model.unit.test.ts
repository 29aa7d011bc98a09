import { describe, expect, it } from 'vitest';
import { formatInstant, minuteTimestamp, timeSeconds } from '../../src/console/format.ts';
import { balanceAt, bandsOf, layerAt, layersOf, type StatementItem } from '../../src/console/history-model.ts';
import { describeProblem } from '../../src/console/problems.ts';

// The console's computations that need no browser: the knowledge layers and bands of an account's
// history from its statement, exact sums, times in a ledger's timezone, and problems in words.

const item = (position: number, transactionId: string, effectiveAt: string, direction: 'debit' | 'credit', amount: string, links: Partial<StatementItem> = {}): StatementItem => ({
  position, transactionId, recordedAt: `2026-12-07T06:00:00.00000${position % 10}Z`, effectiveAt, direction, amount, runningBalance: 'not used',
  reverses: null, reversedBy: null, corrects: null, ...links,
});

/** alice's postings in the worked example of spec section 13 (credit-normal), as the head knows them. */
const alice = [
  item(5, 'dep-1', '2026-03-01T10:00:00.000000Z', 'credit', '10000.00', { reversedBy: 'dep-1-rev' }),
  item(7, 'rent-march', '2026-03-10T00:00:00.000000Z', 'debit', '1000.00'),
  item(8, 'dep-1-rev', '2026-03-01T10:00:00.000000Z', 'debit', '10000.00', { reverses: 'dep-1' }),
  item(9, 'dep-1b', '2026-03-01T10:00:00.000000Z', 'credit', '1000.00', { corrects: 'dep-1' }),
  item(10, 'card-1', '2026-03-06T08:00:00.000000Z', 'debit', '250.00'),
];

describe('the knowledge layers of an account', () => {
  const layers = layersOf(alice, 'credit');

  it('keeps one layer per position that posted to the account, each with its closing balance', () => {
    expect(layers.map((l) => [l.position, l.closing])).toEqual([[5, '10000.00'], [7, '9000.00'], [8, '-1000.00'], [9, '0.00'], [10, '-250.00']]);
  });

  it('makes one step of the entries sharing an effective time: no spike to 10,000 on 03-01', () => {
    expect(layers.at(-1)!.steps.map((s) => [s.effectiveAt.slice(0, 16), s.balance, s.entries.map((e) => e.transactionId)])).toEqual([
      ['2026-03-01T10:00', '1000.00', ['dep-1', 'dep-1-rev', 'dep-1b']],
      ['2026-03-06T08:00', '750.00', ['card-1']],
      ['2026-03-10T00:00', '-250.00', ['rent-march']],
    ]);
  });

  it('answers the balance at (R, E) as the API does: the layer at R, the step at E', () => {
    expect(balanceAt(layerAt(layers, 7)!, '2026-03-04T00:00:00.000000Z', '0.00')).toBe('10000.00');
    expect(balanceAt(layerAt(layers, 10)!, '2026-03-04T00:00:00.000000Z', '0.00')).toBe('1000.00');
    expect(balanceAt(layerAt(layers, 6)!, '2026-03-31T00:00:00.000000Z', '0.00')).toBe('10000.00'); // position 6 (the hold) posted nothing here
    expect(layerAt(layers, 4)).toBeUndefined();
  });

  it('keeps every layer however many there are', () => {
    const many = Array.from({ length: 50 }, (_, i) => item(i + 1, `t-${i + 1}`, `2026-03-01T00:00:${String(i).padStart(2, '0')}.000000Z`, 'credit', '1.00'));
    expect(layersOf(many, 'credit').map((l) => l.closing)).toEqual(many.map((_, i) => `${i + 1}.00`));
  });

  it('knows the closing balance of twenty thousand layers at once, and works out steps only for those asked', () => {
    const many = Array.from({ length: 20_000 }, (_, i) => item(i + 1, `t-${i + 1}`, `2026-03-01T00:00:00.${String(19_999 - i).padStart(6, '0')}Z`, 'credit', '0.01'));
    const all = layersOf(many, 'credit');
    expect(all).toHaveLength(20_000);
    expect(all[9_999]!.closing).toBe('100.00');
    expect(all.at(-1)!.closing).toBe('200.00');
    expect(all.at(-1)!.steps).toHaveLength(20_000); // each backdated before the one recorded before it
    expect(all[0]!.steps.map((s) => s.balance)).toEqual(['0.01']);
  });

  it('draws the region where each entry counts: a reversed entry up to its reversal, the reversal as that end', () => {
    expect(bandsOf(alice, 'credit')).toEqual([
      { transactionId: 'dep-1', effectiveAt: '2026-03-01T10:00:00.000000Z', position: 5, amount: '10000.00', reversal: { transactionId: 'dep-1-rev', position: 8, effectiveAt: '2026-03-01T10:00:00.000000Z' } },
      { transactionId: 'rent-march', effectiveAt: '2026-03-10T00:00:00.000000Z', position: 7, amount: '-1000.00', reversal: null },
      { transactionId: 'dep-1b', effectiveAt: '2026-03-01T10:00:00.000000Z', position: 9, amount: '1000.00', reversal: null },
      { transactionId: 'card-1', effectiveAt: '2026-03-06T08:00:00.000000Z', position: 10, amount: '-250.00', reversal: null },
    ]);
  });
});

describe('exact amounts', () => {
  it('sums amounts of 48 significant digits without rounding', () => {
    const big = '999999999999999999999999999999.999999999999999999';
    const layers = layersOf([item(1, 'a', '2026-03-01T00:00:00.000000Z', 'credit', big), item(2, 'b', '2026-03-02T00:00:00.000000Z', 'credit', '0.000000000000000001')], 'credit');
    expect(layers.at(-1)!.closing).toBe('1000000000000000000000000000000.000000000000000000');
    expect(layersOf([item(1, 'a', '2026-03-01T00:00:00.000000Z', 'debit', '0.05'), item(2, 'b', '2026-03-02T00:00:00.000000Z', 'credit', '0.04')], 'credit').map((l) => l.closing)).toEqual(['-0.05', '-0.01']);
    expect(layersOf([item(1, 'a', '2026-03-01T00:00:00.000000Z', 'credit', '12')], 'credit')[0]!.closing).toBe('12');
  });
});

describe('times', () => {
  it('shows a timestamp in the ledger timezone with the API microseconds', () => {
    expect(formatInstant('2026-03-01T10:00:00.123456Z', 'UTC')).toBe('2026-03-01 10:00:00.123456 UTC');
    expect(formatInstant('2026-07-01T10:00:00.000001Z', 'America/New_York')).toBe('2026-07-01 06:00:00.000001 GMT-4');
    expect(formatInstant('2026-01-01T02:00:00.000000Z', 'Europe/Berlin')).toMatch(/^2026-01-01 03:00:00\.000000 (CET|GMT\+1)$/);
    expect(formatInstant('not a time', 'UTC')).toBe('not a time');
  });

  it('places microseconds on the plot and snaps a dragged E to the minute', () => {
    expect(timeSeconds('2026-03-01T10:00:00.000001Z') - timeSeconds('2026-03-01T10:00:00.000000Z')).toBeCloseTo(0.000001, 6);
    expect(minuteTimestamp(timeSeconds('2026-03-01T10:00:29.000000Z'))).toBe('2026-03-01T10:00:00Z');
  });
});

describe('problems in words', () => {
  it('names every field the service named', () => {
    const body = { code: 'VALIDATION_FAILED', detail: 'The request query is not valid.', errors: [{ path: 'effectiveAsOf', message: 'a timestamp or date' }] };
    expect(describeProblem(400, body)).toBe('VALIDATION_FAILED (400): The request query is not valid. effectiveAsOf: a timestamp or date.');
    expect(describeProblem(502, null)).toBe('HTTP 502');
  });
});
