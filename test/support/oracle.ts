/**
 * The independent oracle (DESIGN.md "Where the money rules live"): the pricing rule written a
 * second time, in TypeScript BigInt arithmetic, only so tests can check the ledger's SQL
 * (sql/stage_charges.sql, ceil_credits.sql) against it. Production never prices in TypeScript.
 */
import { TOKEN_KINDS, type TokenKind, type Usage } from '@loomworks/common';
import type { Rate } from '@loomworks/credit';

const MILLION = 1_000_000n;

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** ceil(n / d) for n ≥ 0, d > 0 */
function ceilDiv(n: bigint, d: bigint): bigint {
  return (n + d - 1n) / d;
}

/** Credits for one stage's usage: ceil(Σ tokens × rate / 10^6), one rounding on the total. */
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
