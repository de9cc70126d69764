/** Reservations (DESIGN.md "Reservations"): the plain shapes the CreditSeam speaks. */
import type { Usage } from '@loomworks/common';
import type { TierResolution } from './tiers';

export const HOLD_STATUSES = ['active', 'settled', 'released', 'expired'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

export interface Hold {
  id: string;
  personId: string;
  asset: string;
  amount: bigint;
  turnId: string;
  status: HoldStatus;
  expiresAt: Date;
  createdAt: Date;
}

/** One LLM call of the turn, as far as its cost can be bounded before it is made. */
export interface StageBound {
  /** proven upper bound of its input tokens (the llm module's messagesInputBound) */
  inputTokens: number;
  /** max_tokens it will send (the respond stage's may be lowered to what the credit covers) */
  maxTokens: number;
}

export interface PlaceHoldCommand {
  personId: string;
  /** a team engagement whose pool pays (DESIGN.md "Spend limits and team pools"); absent: the person's own credit */
  poolEngagementId?: string;
  /** the assistant turn's id the hold is for; its consumption flows are keyed by it */
  turnId: string;
  classify: StageBound;
  /** inputTokens: with the longest responder system prompt (the intent is not known yet) */
  respond: StageBound;
}

export type PlaceHoldResult =
  | {
      status: 'placed';
      hold: { id: string; asset: string; amount: bigint; expiresAt: Date };
      models: { classifier: string; responder: string };
      /** the respond stage's max_tokens: what was asked, or less when the credit covers less */
      respondMaxTokens: number;
      /** the person's balance of the asset before the hold */
      balanceBefore: bigint;
    }
  | { status: 'account_suspended' | 'account_deleted' | 'credit_exhausted' | 'limit_reached' };

export interface SettleStage {
  /** a turn's stages, or a Messages API request's one */
  stage: 'classify' | 'respond' | 'request';
  /** the model the stage actually called; its rates price the stage */
  model: string;
  usage: Usage;
}

export interface SettleHoldCommand {
  holdId: string;
  turnId: string;
  stages: SettleStage[];
}

/**
 * A settled turn. `balanceBefore` is the balance before the turn's hold and `balanceAfter` the
 * settled one, so a threshold crossing can be told (credit.low); `holdExceeded` when the usage
 * cost more than the hold's bound (a provider that misreports), recorded in the flows' metadata.
 */
export interface SettlementResult {
  asset: string;
  held: bigint;
  charged: bigint;
  balanceBefore: bigint;
  balanceAfter: bigint;
  holdExceeded: boolean;
  /** the hold had expired before the turn settled: the person was charged directly */
  late: boolean;
  stages: { stage: string; credits: bigint; flowId: string | null }[];
}

/** A person's credit as the views show it: spendable `amount` and `held` per asset, the active holds, the tier. */
export interface CreditSummary {
  balances: { asset: string; amount: bigint; held: bigint }[];
  holds: Hold[];
  tier: TierResolution | null;
}
