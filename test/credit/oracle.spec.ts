import fc from 'fast-check';
import { TOKEN_KINDS, type TokenKind, type Usage } from '@loomworks/common';
import type { Rate } from '@loomworks/credit';
import { creditsFor } from '../support/oracle';

const rates = (r: Partial<Record<TokenKind, [bigint, bigint]>>) =>
  new Map(Object.entries(r).map(([kind, [n, d]]) => [kind as TokenKind, { id: kind, tokenKind: kind as TokenKind, numerator: n, denominator: d } satisfies Rate]));
const usage = (u: Partial<Usage>): Usage => ({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0, ...u });

const SONNET = rates({ input: [3000n, 1n], output: [15000n, 1n], cacheRead: [300n, 1n], cacheWrite: [15000n, 4n] });

/**
 * Reference: sum each kind as a reduced fraction, one at a time, then round up by comparison.
 * A different algorithm from the implementation's common-denominator sum.
 */
function reference(u: Usage, r: Map<TokenKind, Rate>): bigint {
  const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));
  let [n, d] = [0n, 1n];
  for (const kind of TOKEN_KINDS) {
    if (u[kind] === 0) continue;
    const rate = r.get(kind)!;
    const [kn, kd] = [BigInt(u[kind]) * rate.numerator, rate.denominator * 1_000_000n];
    [n, d] = [n * kd + kn * d, d * kd];
    const g = gcd(n, d) || 1n;
    [n, d] = [n / g, d / g];
  }
  const floor = n / d;
  return floor * d === n ? floor : floor + 1n;
}

describe('creditsFor', () => {
  it('charges the DESIGN.md example: 1,200 input + 340 output on sonnet = ceil(8.7) = 9', () => {
    expect(creditsFor(usage({ input: 1200, output: 340 }), SONNET)).toBe(9n);
  });

  it('rounds up any non-zero usage to at least one credit', () => {
    expect(creditsFor(usage({ input: 1 }), SONNET)).toBe(1n);
    expect(creditsFor(usage({ cacheRead: 1 }), SONNET)).toBe(1n);
  });

  it('rounds once on the stage total, not per token kind', () => {
    // 0.5 + 0.5 credits is 1, not ceil(0.5) + ceil(0.5) = 2
    const half = rates({ input: [1n, 2n], output: [1n, 2n] });
    expect(creditsFor(usage({ input: 1_000_000, output: 1_000_000 }), half)).toBe(1n);
  });

  it('is exact on a whole million and beyond 2^53 intermediate products', () => {
    expect(creditsFor(usage({ input: 1_000_000 }), SONNET)).toBe(3000n);
    const big = rates({ output: [BigInt(Number.MAX_SAFE_INTEGER), 1n] });
    expect(creditsFor(usage({ output: Number.MAX_SAFE_INTEGER }), big)).toBe(
      (BigInt(Number.MAX_SAFE_INTEGER) ** 2n + 999_999n) / 1_000_000n,
    );
  });

  it('costs nothing for no tokens', () => {
    expect(creditsFor(usage({}), SONNET)).toBe(0n);
  });

  it('matches the reference for any usage and any positive rational rates', () => {
    const rate = fc.tuple(fc.bigInt({ min: 1n, max: 10n ** 9n }), fc.bigInt({ min: 1n, max: 10n ** 4n }));
    fc.assert(
      fc.property(
        fc.record({ input: rate, output: rate, cacheRead: rate, cacheWrite: rate }),
        fc.record({
          input: fc.nat({ max: 10_000_000 }),
          output: fc.nat({ max: 10_000_000 }),
          cacheRead: fc.nat({ max: 10_000_000 }),
          cacheWrite: fc.nat({ max: 10_000_000 }),
        }),
        (r, u) => {
          const table = rates(r);
          expect(creditsFor(u, table)).toBe(reference(u, table));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
