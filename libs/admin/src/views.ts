import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageOf } from '@loomworks/common';
import { BalanceSchema, FlowViewSchema, GrantViewSchema, HoldViewSchema, TOKEN_KINDS, type TokenKind } from '@loomworks/credit';
import { MailStatusSchema, type JobStatus } from '@loomworks/outbox';
import { PersonViewSchema } from '@loomworks/persons';

// Admin answers that are not a single view of another module: each class is both the OpenAPI
// schema and the type the admin routes return (their signatures say so, so the two cannot drift).

export class PersonListSchema {
  @ApiProperty({ type: [PersonViewSchema] }) items!: PersonViewSchema[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class PersonCreditSchema {
  @ApiProperty({ type: [BalanceSchema] }) balances!: BalanceSchema[];
  @ApiProperty({ type: [HoldViewSchema], description: 'the active holds' }) holds!: HoldViewSchema[];
  @ApiProperty({ type: [FlowViewSchema] }) flows!: FlowViewSchema[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class EligibilitySchema {
  @ApiProperty({ enum: ['eligible', 'duplicate_exact', 'duplicate_normalized', 'cooling'] }) eligibility!: 'eligible' | 'duplicate_exact' | 'duplicate_normalized' | 'cooling';
  @ApiProperty({ nullable: true, type: String, description: 'SHA-256 hex of the matching address form' }) matchedHash!: string | null;
}

export class DriftSchema {
  @ApiProperty() party!: string;
  @ApiProperty() asset!: string;
  @ApiProperty() balance!: number;
  @ApiProperty() sumOfFlows!: number;
}

class UnbalancedAssetSchema {
  @ApiProperty() asset!: string;
  @ApiProperty() sum!: number;
}

class HeldMismatchSchema {
  @ApiProperty() asset!: string;
  @ApiProperty({ description: "system:held's balance" }) held!: number;
  @ApiProperty({ description: 'the sum of the active holds' }) activeHolds!: number;
}

class NegativeBalanceSchema {
  @ApiProperty({ format: 'uuid' }) personId!: string;
  @ApiProperty() asset!: string;
  @ApiProperty() balance!: number;
}

export class SealBrokenSchema {
  @ApiProperty({ example: '3' }) sealId!: string;
  @ApiProperty({ example: '200', description: 'exclusive' }) fromFlowId!: string;
  @ApiProperty({ example: '300', description: 'inclusive' }) toFlowId!: string;
}

export class LedgerVerificationSchema {
  @ApiProperty() ok!: boolean;
  @ApiProperty() checkedFlows!: number;
  @ApiProperty({ type: [DriftSchema] }) drift!: DriftSchema[];
  @ApiProperty({ type: [UnbalancedAssetSchema] }) unbalancedAssets!: UnbalancedAssetSchema[];
  @ApiProperty({ type: [String] }) duplicateIdempotencyKeys!: string[];
  @ApiProperty({ type: [HeldMismatchSchema] }) heldMismatch!: HeldMismatchSchema[];
  @ApiProperty({
    type: [NegativeBalanceSchema],
    description: "persons below zero whose deficit the flows that caused it don't explain (hold_exceeded, overdraft, a debiting adjustment)",
  })
  unexplainedNegativeBalances!: NegativeBalanceSchema[];
  @ApiProperty({ type: [SealBrokenSchema], description: 'seals whose hash, recomputed over the stored previous hash and their flows, differs from the stored one' })
  sealBroken!: SealBrokenSchema[];
  @ApiProperty({ example: '1200', description: 'the last flow id the seals cover (decimal; "0" before the first seal)' }) sealedThrough!: string;
}

export class MailLogItemSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'ada@example.com' }) to!: string;
  @ApiProperty({ enum: ['claim_link', 'claim_link_reissued', 'signup_code', 'recovery_link', 'low_balance', 'credit_exhausted', 'pool_low'] }) template!: string;
  @ApiProperty({ enum: ['pending', 'sent', 'failed'] }) status!: JobStatus;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true, description: 'the last failure, e.g. the SMTP reply' }) lastError!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) sentAt!: string | null;
}

export class MailLogPageSchema extends PageOf(MailLogItemSchema) {
  @ApiProperty({ enum: ['on', 'off'], description: '`off`: no SMTP_URL, nothing is mailed (links are shown instead)' }) mail!: 'on' | 'off';
}

export class RecoveryLinkSchema {
  @ApiProperty({ example: 'https://credits.example.com/recover?token=…', description: 'one use, 24 h; shown once' }) recoveryUrl!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ type: MailStatusSchema }) mail!: MailStatusSchema;
}

export class AuditEntrySchema {
  @ApiProperty({ description: 'decimal' }) id!: string;
  @ApiProperty({ format: 'uuid' }) actorPersonId!: string;
  @ApiProperty({ example: 'grant.issue' }) action!: string;
  @ApiProperty({ enum: ['grant', 'person', 'rate', 'config', 'webhook', 'api_key', 'engagement', 'service_key', 'turn', 'llm_call', 'authorization', 'ledger'] }) subjectType!: 'grant' | 'person' | 'rate' | 'config' | 'webhook' | 'api_key' | 'engagement' | 'service_key' | 'turn' | 'llm_call' | 'authorization' | 'ledger';
  @ApiProperty() subjectId!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'what changed (never a secret)' }) details!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class AuditPageSchema extends PageOf(AuditEntrySchema) {}

export class RateSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'claude-sonnet-4-6' }) model!: string;
  @ApiProperty({ enum: TOKEN_KINDS }) tokenKind!: TokenKind;
  @ApiProperty({ oneOf: [{ type: 'integer' }, { type: 'string', example: '3/2' }], description: 'credits per million tokens; a fraction as "n/d"' })
  creditsPerMillion!: number | string;
  @ApiProperty({ format: 'date-time' }) effectiveFrom!: string;
}

export class RateTableSchema {
  @ApiProperty({ type: [RateSchema], description: 'the rates in force, one per model and token kind' }) items!: RateSchema[];
}

export class SettingRangeSchema {
  @ApiProperty() min!: number;
  @ApiProperty() max!: number;
}

export class SettingSchema {
  @ApiProperty({ example: 'hold_ttl_seconds' }) key!: string;
  @ApiProperty({ description: 'a secret is shown as set/unset, never in clear' }) secret!: boolean;
  @ApiPropertyOptional({ description: 'secrets only: whether the server has a value (from the environment or this setting)' }) isSet?: boolean;
  @ApiPropertyOptional({
    enum: ['environment', 'config'],
    description: 'a set secret: where the value the server uses comes from (`environment`: ANTHROPIC_API_KEY, which wins over the setting)',
  })
  source?: 'environment' | 'config';
  @ApiPropertyOptional({ oneOf: [{ type: 'number' }, { type: 'string' }, { type: 'array' }, { type: 'object' }], description: 'the typed value; not for secrets' })
  value?: unknown;
  @ApiProperty({ example: 'an integer from 1 to 3650', description: 'what the key takes; a PUT outside it is refused with this text' }) allowed!: string;
  @ApiPropertyOptional({ type: SettingRangeSchema, description: 'numeric keys: the inclusive range' }) range?: SettingRangeSchema;
}

export class SettingsSchema {
  @ApiProperty({ type: [SettingSchema] }) items!: SettingSchema[];
}

export class RefundSchema {
  @ApiProperty({ description: 'credits this refund gave back' }) refunded!: number;
  @ApiProperty({ description: 'credits given back by every refund of that charge so far' }) totalRefunded!: number;
  @ApiProperty({ type: [FlowViewSchema], description: "the reversal flows (system:consumed → the payer), from the payer's side; for a deleted person then the zeroing flows that void it again" }) flows!: FlowViewSchema[];
}

export const BULK_GRANT_STATUSES = ['issued', 'would_issue', 'ineligible', 'invalid'] as const;
export type BulkGrantStatus = (typeof BULK_GRANT_STATUSES)[number];

export class BulkGrantItemSchema {
  @ApiProperty({ description: 'the data row, numbered from 1' }) row!: number;
  @ApiProperty({ enum: BULK_GRANT_STATUSES }) status!: BulkGrantStatus;
  @ApiPropertyOptional({ type: GrantViewSchema, description: 'issued rows' }) grant?: GrantViewSchema;
  @ApiPropertyOptional({ description: 'issued rows: the claim URL, also mailed to the recipient' }) claimUrl?: string;
  @ApiPropertyOptional({ description: 'ineligible and invalid rows: why' }) error?: string;
  @ApiPropertyOptional({ enum: ['duplicate_exact', 'duplicate_normalized', 'cooling'], description: 'ineligible rows' }) eligibility?: string;
}

export class BulkGrantResultSchema {
  @ApiProperty({ type: [BulkGrantItemSchema] }) items!: BulkGrantItemSchema[];
  @ApiProperty({ description: 'rows issued (0 in a dry run)' }) issued!: number;
}
