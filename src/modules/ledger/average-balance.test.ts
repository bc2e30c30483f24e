import { describe, expect, it } from 'vitest';
import { timeWeightedAverage } from './average-balance.js';

const at = (hours: number) => new Date(Date.UTC(2026, 10, 1) + hours * 3_600_000);

describe('timeWeightedAverage', () => {
  it('is the balance itself when nothing changed in the period', () => {
    expect(timeWeightedAverage({ from: at(0), to: at(24), balanceAtToMinor: 50_000n, changes: [] })).toBe(50_000n);
  });

  it('weights each balance by how long it stood', () => {
    // 0 for 6 hours, 1000.00 for 12 hours, 400.00 for 6 hours: (0×6 + 100000×12 + 40000×6) / 24 = 60000.
    const changes = [
      { at: at(6), deltaMinor: 100_000n },
      { at: at(18), deltaMinor: -60_000n },
    ];
    expect(timeWeightedAverage({ from: at(0), to: at(24), balanceAtToMinor: 40_000n, changes })).toBe(60_000n);
  });

  it('equals the mean of end-of-day balances when the balance changes once a day at midnight', () => {
    const changes = [
      { at: at(24), deltaMinor: 30_000n },
      { at: at(48), deltaMinor: -20_000n },
    ];
    // Days: 10000, 40000, 20000 → mean 23333 (rounded toward zero).
    expect(timeWeightedAverage({ from: at(0), to: at(72), balanceAtToMinor: 20_000n, changes })).toBe(23_333n);
  });

  it('counts a change at the very start of the period for the whole period', () => {
    const changes = [{ at: at(0), deltaMinor: 70_000n }];
    expect(timeWeightedAverage({ from: at(0), to: at(10), balanceAtToMinor: 70_000n, changes })).toBe(70_000n);
  });

  it('treats changes before the period start as the balance at the start', () => {
    const changes = [{ at: at(-5), deltaMinor: 10_000n }];
    expect(timeWeightedAverage({ from: at(0), to: at(10), balanceAtToMinor: 10_000n, changes })).toBe(10_000n);
  });

  it('has no average for an empty or inverted period', () => {
    expect(timeWeightedAverage({ from: at(5), to: at(5), balanceAtToMinor: 1n, changes: [] })).toBeUndefined();
    expect(timeWeightedAverage({ from: at(6), to: at(5), balanceAtToMinor: 1n, changes: [] })).toBeUndefined();
  });

  it('stays exact for balances far beyond the safe integer range', () => {
    const huge = 10n ** 17n + 1n;
    expect(timeWeightedAverage({ from: at(0), to: at(720), balanceAtToMinor: huge, changes: [] })).toBe(huge);
  });
});
