/** Ledger vocabulary: parties, flow kinds, and the plain shapes services return. */
import type { BrokenSeal } from './seals';

export const FLOW_KINDS = ['issuance', 'consumption', 'zeroing', 'referral', 'adjustment', 'reversal', 'hold', 'release'] as const;
export type FlowKind = (typeof FLOW_KINDS)[number];

export const SYSTEM_ISSUER = 'system:issuer';
export const SYSTEM_CONSUMED = 'system:consumed';
export const SYSTEM_VOID = 'system:void';

export const personParty = (personId: string) => `person:${personId}`;
/** A team engagement's pool (DESIGN.md "Spend limits and team pools"): a party like a person's. */
export const poolParty = (engagementId: string) => `engagement:${engagementId}`;

export interface FlowInput {
  kind: FlowKind;
  asset: string;
  /** positive */
  amount: bigint;
  from: string;
  to: string;
  /** the person the flow concerns; null for a team pool's own flows (its funding) */
  personId: string | null;
  grantId?: string | null;
  idempotencyKey?: string | null;
  metadata?: Record<string, unknown>;
}

export interface Flow {
  id: string;
  kind: FlowKind;
  asset: string;
  amount: bigint;
  from: string;
  to: string;
  personId: string | null;
  grantId: string | null;
  idempotencyKey: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

/** A flow seen from one person's side, as API.md's FlowView. */
export interface PersonFlow {
  id: string;
  kind: FlowKind;
  asset: string;
  amount: bigint;
  direction: 'in' | 'out';
  counterparty: string;
  idempotencyKey: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export function asPersonFlow(flow: Flow, personId: string): PersonFlow {
  return asPartyFlow(flow, personParty(personId));
}

/** A flow as one of its parties (a person, a team pool) sees it: in or out, and from or to whom. */
export function asPartyFlow(flow: Flow, party: string): PersonFlow {
  const incoming = flow.to === party;
  return {
    id: flow.id,
    kind: flow.kind,
    asset: flow.asset,
    amount: flow.amount,
    direction: incoming ? 'in' : 'out',
    counterparty: incoming ? flow.from : flow.to,
    idempotencyKey: flow.idempotencyKey,
    metadata: flow.metadata,
    createdAt: flow.createdAt,
  };
}

export type { Page } from '@loomworks/common';

export interface LedgerDrift {
  party: string;
  asset: string;
  balance: bigint;
  sumOfFlows: bigint;
}

export interface LedgerVerification {
  ok: boolean;
  checkedFlows: number;
  drift: LedgerDrift[];
  /** assets whose balances do not sum to zero */
  unbalancedAssets: { asset: string; sum: bigint }[];
  duplicateIdempotencyKeys: string[];
  /** assets whose system:held balance differs from the sum of their active holds */
  heldMismatch: { asset: string; held: bigint; activeHolds: bigint }[];
  /** person balances below zero that the flows which caused them don't explain (hold_exceeded, overdraft, a debiting adjustment) */
  unexplainedNegativeBalances: { personId: string; asset: string; balance: bigint }[];
  /** seals that no longer match their flows (Tamper evidence) */
  sealBroken: BrokenSeal[];
  /** the last flow id the seals cover ('0' before the first seal) */
  sealedThrough: string;
}

export interface ReferralCommand {
  referrerPersonId: string;
  referredPersonId: string;
}
