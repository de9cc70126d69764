import { addUsage, isCompleteUsage, zeroUsage } from './usage';

describe('usage', () => {
  const u = { input: 10, output: 2, cacheRead: 3, cacheWrite: 4 };

  it('is complete only with every count a non-negative safe integer', () => {
    expect(isCompleteUsage(u)).toBe(true);
    expect(isCompleteUsage(zeroUsage())).toBe(true);
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53, '3', undefined, null]) {
      expect(isCompleteUsage({ ...u, output: bad as number })).toBe(false);
    }
    expect(isCompleteUsage({ input: 1, output: 1, cacheRead: 0 })).toBe(false);
    expect(isCompleteUsage(null)).toBe(false);
    expect(isCompleteUsage(undefined)).toBe(false);
  });

  it('adds per kind', () => {
    expect(addUsage(u, u)).toEqual({ input: 20, output: 4, cacheRead: 6, cacheWrite: 8 });
  });
});
