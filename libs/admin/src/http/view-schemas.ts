import { ApiProperty } from '@nestjs/swagger';
import { BalanceSchema, FlowViewSchema } from '@loomworks/credit';
import { PersonViewSchema } from '@loomworks/persons';

// OpenAPI shapes of admin answers that are not a single view.

export class PersonListSchema {
  @ApiProperty({ type: [PersonViewSchema] }) items!: PersonViewSchema[];
}

export class PersonCreditSchema {
  @ApiProperty({ type: [BalanceSchema] }) balances!: BalanceSchema[];
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

export class LedgerVerificationSchema {
  @ApiProperty() ok!: boolean;
  @ApiProperty() checkedFlows!: number;
  @ApiProperty({ type: [DriftSchema] }) drift!: DriftSchema[];
}
