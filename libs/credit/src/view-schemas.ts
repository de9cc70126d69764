import { ApiProperty } from '@nestjs/swagger';
import { FLOW_KINDS } from './domain/ledger';
import { GRANT_KINDS, GRANT_STATUSES } from './domain/grant';
import { HOLD_STATUSES } from './domain/holds';
import { MailStatusSchema } from '@loomworks/outbox';

// OpenAPI shapes of the JSON views in views.ts (API.md's GrantView, FlowView, balances, tier).

export class BalanceSchema {
  @ApiProperty({ example: 'sonnet' }) asset!: string;
  @ApiProperty({ description: 'integer credits spendable now; negative after an overdraft' }) amount!: number;
  @ApiProperty({ description: 'integer credits reserved by turns in flight' }) held!: number;
}

export class HoldViewSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() asset!: string;
  @ApiProperty({ description: 'positive integer credits reserved' }) amount!: number;
  @ApiProperty({ enum: HOLD_STATUSES }) status!: string;
  @ApiProperty({ format: 'uuid', description: 'the assistant turn the hold is for' }) turnId!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class TierSchema {
  @ApiProperty({ example: 'sonnet' }) asset!: string;
  @ApiProperty({ example: 'claude-haiku-4-5-20251001' }) classifierModel!: string;
  @ApiProperty({ example: 'claude-sonnet-4-6' }) responderModel!: string;
}

export class CreditViewSchema {
  @ApiProperty({ type: [BalanceSchema] }) balances!: BalanceSchema[];
  @ApiProperty({ type: TierSchema, nullable: true }) tier!: TierSchema | null;
  @ApiProperty({ type: [HoldViewSchema], description: 'the active holds' }) holds!: HoldViewSchema[];
}

export class GrantViewSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() asset!: string;
  @ApiProperty({ enum: GRANT_KINDS }) kind!: string;
  @ApiProperty() amount!: number;
  @ApiProperty() recipientEmail!: string;
  @ApiProperty({ enum: GRANT_STATUSES }) status!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) issuedBy!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) referrerPersonId!: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) claimedByPersonId!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) claimedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class FlowViewSchema {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: FLOW_KINDS }) kind!: string;
  @ApiProperty() asset!: string;
  @ApiProperty({ description: 'positive integer credits' }) amount!: number;
  @ApiProperty({ enum: ['in', 'out'] }) direction!: 'in' | 'out';
  @ApiProperty({ example: 'system:consumed' }) counterparty!: string;
  @ApiProperty({ nullable: true, type: String }) idempotencyKey!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class FlowPageSchema {
  @ApiProperty({ type: [FlowViewSchema] }) items!: FlowViewSchema[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class GrantPageSchema {
  @ApiProperty({ type: [GrantViewSchema] }) items!: GrantViewSchema[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class IssuedGrantSchema {
  @ApiProperty({ type: GrantViewSchema }) grant!: GrantViewSchema;
  @ApiProperty({ example: 'https://credits.example.com/claim?token=…', description: 'shown once' }) claimUrl!: string;
  @ApiProperty({ type: MailStatusSchema, description: 'the claim URL mailed to the recipient' }) mail!: MailStatusSchema;
}
