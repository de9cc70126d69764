/**
 * Converting token usage to credits, in exact integer arithmetic (BigInt), rounded up.
 * A rate is credits per million tokens as a positive rational num/den, so fractional list
 * prices (e.g. 0.1× cache reads of an odd rate) stay exact.
 */
import { TOKEN_KINDS, type TokenKind, type Usage } from '@loomworks/common';

export { TOKEN_KINDS, type TokenKind };

export interface Rate {
  /** the rate row's id, recorded with each charge so it can be recomputed later */
  id: string;
  tokenKind: TokenKind;
  numerator: bigint;
  denominator: bigint;
}

/** A rate version: the rate of one model's token kind, in force from `effectiveFrom`. */
export interface RateRow extends Rate {
  model: string;
  effectiveFrom: Date;
}

const MILLION = 1_000_000n;

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** ceil(n / d) for n ≥ 0, d > 0 */
export function ceilDiv(n: bigint, d: bigint): bigint {
  return (n + d - 1n) / d;
}

/**
 * Credits for one stage's usage: ceil(Σ tokens × rate / 10^6), one rounding on the total.
 * `rates` must hold a rate for every kind with tokens (the caller raises MissingRateError).
 */
export function creditsFor(usage: Usage, rates: ReadonlyMap<TokenKind, Rate>): bigint {
  // Sum fractions over the least common denominator, then round once.
  let denominator = 1n;
  for (const kind of TOKEN_KINDS) {
    const rate = rates.get(kind);
    if (usage[kind] > 0 && rate) denominator = (denominator / gcd(denominator, rate.denominator)) * rate.denominator;
  }
  let numerator = 0n;
  for (const kind of TOKEN_KINDS) {
    if (usage[kind] === 0) continue;
    const rate = rates.get(kind);
    if (!rate) throw new Error(`no rate for ${kind}`);
    numerator += BigInt(usage[kind]) * rate.numerator * (denominator / rate.denominator);
  }
  return ceilDiv(numerator, denominator * MILLION);
}
