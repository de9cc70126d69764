import type { Usage } from '@loomworks/common';

export type PipelineStage = 'classify' | 'respond';

export interface StageUsage {
  stage: PipelineStage;
  /** the model this stage actually called; its rates price the stage */
  model: string;
  usage: Usage;
}

export interface RecordConsumptionCommand {
  personId: string;
  /** the assistant turn's id: with the stage, the flow's idempotency key */
  turnId: string;
  /** the tier the turn was resolved to; every stage debits it */
  asset: string;
  stages: StageUsage[];
}

export interface ConsumptionResult {
  asset: string;
  /** sum of the stages' rounded-up charges */
  charged: bigint;
  balanceAfter: bigint;
  stages: { stage: PipelineStage; credits: bigint; flowId: string | null }[];
}
