import { ApiProperty } from '@nestjs/swagger';
import { BalanceSchema, FlowViewSchema, HoldViewSchema } from '@loomworks/credit';
import { MailStatusSchema } from '@loomworks/outbox';
import { PersonViewSchema } from '@loomworks/persons';

// OpenAPI shapes of admin answers that are not a single view.

export class PersonListSchema {
  @ApiProperty({ type: [PersonViewSchema] }) items!: PersonViewSchema[];
}

export class PersonCreditSchema {
  @ApiProperty({ type: [BalanceSchema] }) balances!: BalanceSchema[];
  @ApiProperty({ type: [HoldViewSchema], description: 'the active holds' }) holds!: HoldViewSchema[];
  @ApiProperty({ type: [FlowViewSchema] }) flows!: FlowViewSchema[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class EligibilitySchema {
  @ApiProperty({ enum: ['eligible', 'duplicate_exact', 'duplicate_normalized', 'cooling'] }) eligibility!: string;
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

export class LedgerVerificationSchema {
  @ApiProperty() ok!: boolean;
  @ApiProperty() checkedFlows!: number;
  @ApiProperty({ type: [DriftSchema] }) drift!: DriftSchema[];
  @ApiProperty({ type: [UnbalancedAssetSchema] }) unbalancedAssets!: UnbalancedAssetSchema[];
  @ApiProperty({ type: [String] }) duplicateIdempotencyKeys!: string[];
  @ApiProperty({ type: [HeldMismatchSchema] }) heldMismatch!: HeldMismatchSchema[];
  @ApiProperty({ type: [NegativeBalanceSchema], description: 'persons below zero without a recorded hold_exceeded, late settlement or staff adjustment' })
  unexplainedNegativeBalances!: NegativeBalanceSchema[];
}

export class MailLogItemSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'ada@example.com' }) to!: string;
  @ApiProperty({ enum: ['claim_link', 'claim_link_reissued', 'signup_code', 'recovery_link', 'low_balance', 'credit_exhausted'] }) template!: string;
  @ApiProperty({ enum: ['pending', 'sent', 'failed'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ type: String, nullable: true, description: 'the last failure, e.g. the SMTP reply' }) lastError!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) sentAt!: string | null;
}

export class MailLogPageSchema {
  @ApiProperty({ type: [MailLogItemSchema] }) items!: MailLogItemSchema[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class RecoveryLinkSchema {
  @ApiProperty({ example: 'https://credits.example.com/recover?token=…', description: 'one use, 24 h; shown once' }) recoveryUrl!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiProperty({ type: MailStatusSchema }) mail!: MailStatusSchema;
}
