import { describe, expect, it } from 'vitest';
import { percent } from './jobStats.js';

describe('percentages of getTaskDetail', () => {
  it('reproduce the platform example’s numbers (docs/statistics.md)', () => {
    expect(percent(342, 3612, 2)).toBe(9.47); // answeredRate
    expect(percent(3612, 166, 1)).toBe(2175.9); // taskProgress
    expect(percent(119, 1000, 2)).toBe(11.9); // answeredTaskRateList
    expect(percent(134, 1455, 2)).toBe(9.21);
  });

  it('round half up exactly, where floating point would not', () => {
    expect(percent(1, 8, 2)).toBe(12.5);
    expect(percent(1, 3, 2)).toBe(33.33);
    expect(percent(2, 3, 2)).toBe(66.67);
    expect(percent(1, 20000, 2)).toBe(0.01); // 0.005 → 0.01
    expect(percent(1, 200000, 2)).toBe(0); // 0.0005 → 0.00
  });

  it('is 0 with nothing to divide by', () => {
    expect(percent(0, 0, 2)).toBe(0);
    expect(percent(5, 0, 1)).toBe(0);
  });
});
