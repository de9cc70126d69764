import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '@loomworks/common';
import type { LlmCall, UsageGroup } from './domain/llm-call';

// API.md's LlmCallView and usage answers: each class is the OpenAPI schema and the type the routes return.

class CallUsageSchema {
  @ApiProperty({ description: 'input tokens, cache tokens excluded' }) input!: number;
  @ApiProperty() output!: number;
  @ApiProperty() cacheRead!: number;
  @ApiProperty() cacheWrite!: number;
}

export class LlmCallViewSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['converse', 'messages'] }) source!: LlmCall['source'];
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) turnId!: string | null;
  @ApiProperty({ enum: ['classify', 'respond'], nullable: true, type: String }) stage!: LlmCall['stage'];
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) engagementId!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) apiKeyId!: string | null;
  @ApiProperty() model!: string;
  @ApiProperty({ enum: ['ok', 'failed', 'interrupted'] }) status!: LlmCall['status'];
  @ApiProperty({ type: CallUsageSchema, nullable: true, description: 'what the provider reported; null when it reported nothing' }) usage!: CallUsageSchema | null;
  @ApiProperty({ nullable: true, type: String }) asset!: string | null;
  @ApiProperty({ nullable: true, type: Number, description: "the hold of the call's turn or request (a turn's two stages share it)" }) held!: number | null;
  @ApiProperty({ description: 'credits charged for this call; 0 when nobody paid' }) charged!: number;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ format: 'date-time' }) finishedAt!: string;
}

export class LlmCallPageSchema extends PageOf(LlmCallViewSchema) {}

export class StaffLlmCallViewSchema extends LlmCallViewSchema {
  @ApiProperty({ format: 'uuid' }) personId!: string;
}

export class StaffLlmCallPageSchema extends PageOf(StaffLlmCallViewSchema) {}

export class UsageGroupSchema {
  @ApiProperty({ description: 'the UTC day (YYYY-MM-DD), the model, or the payer (`person:<id>`, `engagement:<id>`, `none`)' }) key!: string;
  @ApiProperty() calls!: number;
  @ApiProperty({ description: 'input-side tokens, cache reads and writes included' }) inputTokens!: number;
  @ApiProperty() outputTokens!: number;
  @ApiProperty({ description: 'credits charged' }) credits!: number;
}

export class UsageReportSchema {
  @ApiProperty({ type: [UsageGroupSchema] }) items!: UsageGroupSchema[];
}

export class StaffUsageGroupSchema extends UsageGroupSchema {
  @ApiProperty({ description: "calls the system key's provider billed (usage reported) that nobody was charged for" }) absorbedCalls!: number;
}

export class StaffUsageReportSchema {
  @ApiProperty({ type: [StaffUsageGroupSchema] }) items!: StaffUsageGroupSchema[];
}

export function llmCallView(call: LlmCall): LlmCallViewSchema {
  return {
    id: call.id,
    source: call.source,
    turnId: call.turnId,
    stage: call.stage,
    engagementId: call.engagementId,
    apiKeyId: call.apiKeyId,
    model: call.model,
    status: call.status,
    usage: call.usage,
    asset: call.asset,
    held: call.held === null ? null : Number(call.held),
    charged: Number(call.charged),
    startedAt: call.startedAt.toISOString(),
    finishedAt: call.finishedAt.toISOString(),
  };
}

export const staffLlmCallView = (call: LlmCall): StaffLlmCallViewSchema => ({ ...llmCallView(call), personId: call.personId });

export function usageGroupView(group: UsageGroup): UsageGroupSchema {
  return { key: group.key, calls: group.calls, inputTokens: group.inputTokens, outputTokens: group.outputTokens, credits: Number(group.credits) };
}

export const staffUsageGroupView = (group: UsageGroup): StaffUsageGroupSchema => ({ ...usageGroupView(group), absorbedCalls: group.absorbedCalls });
