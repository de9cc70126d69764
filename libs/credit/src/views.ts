/**
 * API.md's JSON shapes of credit data. Amounts are bigint inside and JSON integers outside; a
 * value beyond ±(2^53−1) cannot be represented faithfully, so it is refused rather than rounded.
 */
import type { Grant } from './domain/grant';
import type { PersonFlow } from './domain/ledger';
import type { Balance } from './domain/tiers';
import type { CreditSummary, Hold } from './domain/holds';

export function jsonAmount(amount: bigint): number {
  if (amount > BigInt(Number.MAX_SAFE_INTEGER) || amount < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError('amount exceeds the JSON-safe integer range');
  }
  return Number(amount);
}

export const balanceView = (b: Balance & { held?: bigint }) => ({ asset: b.asset, amount: jsonAmount(b.amount), held: jsonAmount(b.held ?? 0n) });

export function holdView(h: Hold) {
  return {
    id: h.id,
    asset: h.asset,
    amount: jsonAmount(h.amount),
    status: h.status,
    turnId: h.turnId,
    expiresAt: h.expiresAt.toISOString(),
    createdAt: h.createdAt.toISOString(),
  };
}

/** API.md's credit view: balances with what is held, the tier, and the active holds. */
export function creditSummaryView(c: CreditSummary) {
  return { balances: c.balances.map(balanceView), tier: c.tier, holds: c.holds.map(holdView) };
}

export function flowView(f: PersonFlow) {
  return {
    id: f.id,
    kind: f.kind,
    asset: f.asset,
    amount: jsonAmount(f.amount),
    direction: f.direction,
    counterparty: f.counterparty,
    idempotencyKey: f.idempotencyKey,
    metadata: f.metadata,
    createdAt: f.createdAt.toISOString(),
  };
}

export function grantView(g: Grant) {
  return {
    id: g.id,
    asset: g.asset,
    kind: g.kind,
    amount: jsonAmount(g.amount),
    recipientEmail: g.recipientEmail,
    status: g.status,
    expiresAt: g.expiresAt.toISOString(),
    issuedBy: g.issuedBy,
    referrerPersonId: g.referrerPersonId,
    claimedByPersonId: g.claimedByPersonId,
    claimedAt: g.claimedAt?.toISOString() ?? null,
    createdAt: g.createdAt.toISOString(),
  };
}
