import type { Usage } from '@loomworks/common';

/** DESIGN.md "The LLM call log and usage": one row per provider call, written when it has ended. */
export type LlmCallSource = 'converse' | 'messages';
export type LlmCallStatus = 'ok' | 'failed' | 'interrupted';
export type LlmKeySource = 'system' | 'person' | 'operator';
export const LLM_CALL_STATUSES: readonly LlmCallStatus[] = ['ok', 'failed', 'interrupted'];

/** A call to log. `usage` is what the provider reported (null: nothing); `charged` is 0n when nobody paid. */
export interface LlmCallRecord {
  /** chosen by the caller when it must name the call before it ends (e.g. a request id header) */
  id?: string;
  source: LlmCallSource;
  keySource: LlmKeySource;
  /** the party that paid: `person:<id>` or `engagement:<id>`; null for own-key and operator-key calls */
  payer: string | null;
  personId: string;
  engagementId?: string | null;
  apiKeyId?: string | null;
  turnId?: string | null;
  stage?: 'classify' | 'respond' | null;
  model: string;
  status: LlmCallStatus;
  usage: Usage | null;
  asset?: string | null;
  holdId?: string | null;
  /** the hold of the call's turn or request (a turn's two stages share it) */
  held?: bigint | null;
  charged: bigint;
  startedAt: Date;
  finishedAt: Date;
}

export interface LlmCall extends Required<Omit<LlmCallRecord, 'id'>> {
  id: string;
}

export interface LlmCallFilter {
  personId?: string;
  engagementId?: string;
  model?: string;
  status?: LlmCallStatus;
}

export type UsageGroupBy = 'day' | 'model' | 'payer';

export interface UsageQuery {
  groupBy: UsageGroupBy;
  from?: Date;
  to?: Date;
  personId?: string;
  engagementId?: string;
}

/** One group of calls: `credits` charged; `absorbedCalls` the system key's provider billed and nobody paid. */
export interface UsageGroup {
  key: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  credits: bigint;
  absorbedCalls: number;
}
