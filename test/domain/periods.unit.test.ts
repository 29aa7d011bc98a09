import { describe, expect, it } from 'vitest';
import { periodsCovering } from '../../src/domain/periods.ts';

describe('periodsCovering', () => {
  it('gives one period per day, ends inclusive', () => {
    expect(periodsCovering('2026-02-27', '2026-03-01', 'day', 100)).toEqual([
      { start: '2026-02-27', end: '2026-02-27' }, { start: '2026-02-28', end: '2026-02-28' }, { start: '2026-03-01', end: '2026-03-01' },
    ]);
  });

  it('counts weeks of seven days from the first date, the last one covering the end', () => {
    expect(periodsCovering('2026-03-01', '2026-03-09', 'week', 100)).toEqual([
      { start: '2026-03-01', end: '2026-03-07' }, { start: '2026-03-08', end: '2026-03-14' },
    ]);
  });

  it('gives calendar months from the first of the starting month, across a year and a leap February', () => {
    expect(periodsCovering('2027-12-15', '2028-02-01', 'month', 100)).toEqual([
      { start: '2027-12-01', end: '2027-12-31' }, { start: '2028-01-01', end: '2028-01-31' }, { start: '2028-02-01', end: '2028-02-29' },
    ]);
  });

  it('stops at the maximum and gives nothing for an empty range', () => {
    expect(periodsCovering('2026-01-01', '2026-12-31', 'day', 10)).toHaveLength(10);
    expect(periodsCovering('2026-03-02', '2026-03-01', 'day', 10)).toEqual([]);
  });
});
