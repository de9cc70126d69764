import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageOf } from '@loomworks/common';
import { MemberViewSchema } from '@loomworks/credit';
import type { KeySource } from './key-resolver.service';

// API.md's converse answers: each class is both the OpenAPI schema and the type the services return.

export type ConverseStatus = 'ok' | 'credit_exhausted' | 'limit_reached' | 'account_suspended' | 'account_deleted';

export class UsageSchema {
  @ApiProperty() input!: number;
  @ApiProperty() output!: number;
  @ApiProperty() cacheRead!: number;
  @ApiProperty() cacheWrite!: number;
}

class TokenUsageSchema {
  @ApiProperty({ type: UsageSchema }) classify!: UsageSchema;
  @ApiProperty({ type: UsageSchema }) respond!: UsageSchema;
  @ApiProperty({ type: UsageSchema }) total!: UsageSchema;
}

class ModelsSchema {
  @ApiProperty() classifier!: string;
  @ApiProperty() responder!: string;
}

class TurnCreditSchema {
  @ApiProperty() asset!: string;
  @ApiProperty({ description: 'what the turn reserved before its LLM calls (a proven upper bound of its cost)' }) held!: number;
  @ApiProperty({ description: 'sum of the stages’ rounded-up charges; ≤ held whenever the provider’s usage is truthful' }) charged!: number;
  @ApiProperty() balanceAfter!: number;
}

export class ConverseResponseSchema {
  @ApiProperty({ enum: ['ok', 'credit_exhausted', 'limit_reached', 'account_suspended', 'account_deleted'], description: 'non-ok statuses come without an LLM call' })
  status!: ConverseStatus;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) conversationId!: string | null;
  @ApiPropertyOptional({ format: 'uuid', description: "the assistant turn's id, when one was recorded" }) turnId?: string;
  @ApiPropertyOptional({ description: "true when the provider's stream broke before its final usage: the reply is what arrived, charged within the hold (streamed turns only)" })
  interrupted?: boolean;
  @ApiPropertyOptional() intent?: string;
  @ApiPropertyOptional() reply?: string;
  @ApiProperty({ enum: ['operator', 'person', 'system'] }) keySource!: KeySource;
  @ApiPropertyOptional({ type: ModelsSchema }) models?: ModelsSchema;
  @ApiProperty({ type: TokenUsageSchema }) tokenUsage!: TokenUsageSchema;
  @ApiPropertyOptional({ type: TurnCreditSchema, description: 'system-key turns only' }) credit?: TurnCreditSchema;
}

export class ConversationSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'the first message, shortened' }) title!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) lastTurnAt!: string;
}

export class ConversationPageSchema extends PageOf(ConversationSchema) {}

export class TurnSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['user', 'assistant'] }) role!: 'user' | 'assistant';
  @ApiProperty() content!: string;
  @ApiProperty({ enum: ['ok', 'interrupted'], description: "interrupted: the provider's stream broke; the content is what arrived" }) status!: 'ok' | 'interrupted';
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: { $ref: '#/components/schemas/UsageSchema' }, description: 'assistant turns: usage by stage (classify, respond)' })
  tokenUsage?: Record<string, UsageSchema>;
}

export class TurnPageSchema extends PageOf(TurnSchema) {}

export { MemberViewSchema };

export class MemberListSchema {
  @ApiProperty({ type: [MemberViewSchema] }) items!: MemberViewSchema[];
}
