import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PersonViewSchema } from '@loomworks/persons';

// OpenAPI shapes of auth's answers (API.md "Auth" and "Claim").

export class GrantCreditSchema {
  @ApiProperty({ format: 'uuid' }) grantId!: string;
  @ApiProperty() asset!: string;
  @ApiProperty() amount!: number;
}

export class SessionSchema {
  @ApiProperty({ type: PersonViewSchema }) person!: PersonViewSchema;
  @ApiProperty({ description: 'opaque; send as `Authorization: Bearer`' }) sessionToken!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
  @ApiPropertyOptional({ type: GrantCreditSchema, description: 'signup with a claim token only' }) credit?: GrantCreditSchema;
}

export class ClaimResultSchema extends GrantCreditSchema {
  @ApiProperty() balanceAfter!: number;
}

export class EngagementSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() personal!: boolean;
  @ApiProperty({ enum: ['owner', 'member'] }) role!: string;
}

export class EngagementListSchema {
  @ApiProperty({ type: [EngagementSchema] }) items!: EngagementSchema[];
}
