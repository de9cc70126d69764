import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

// OpenAPI shape of API.md's ConverseResponse.

class UsageSchema {
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
  @ApiProperty({ enum: ['ok', 'credit_exhausted', 'account_suspended', 'account_deleted'], description: 'non-ok statuses come without an LLM call' })
  status!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) conversationId!: string | null;
  @ApiPropertyOptional() intent?: string;
  @ApiPropertyOptional() reply?: string;
  @ApiProperty({ enum: ['operator', 'person', 'system'] }) keySource!: string;
  @ApiPropertyOptional({ type: ModelsSchema }) models?: ModelsSchema;
  @ApiProperty({ type: TokenUsageSchema }) tokenUsage!: TokenUsageSchema;
  @ApiPropertyOptional({ type: TurnCreditSchema, description: 'system-key turns only' }) credit?: TurnCreditSchema;
}
