import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class FieldErrorSchema {
  @ApiProperty({ example: 'amount', description: 'the field, nested ones by their path (`address.city`)' }) field!: string;
  @ApiProperty({ example: 'amount must be a positive integer' }) message!: string;
}

/** Every error body (API.md); some codes add the fields below. */
export class ErrorResponse {
  @ApiProperty({ example: 400 }) statusCode!: number;
  @ApiProperty({ example: 'validation_failed', description: 'snake_case code' }) error!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ type: [FieldErrorSchema], description: 'validation_failed: every bad field' }) fields?: FieldErrorSchema[];
  @ApiPropertyOptional({ enum: ['duplicate_exact', 'duplicate_normalized', 'cooling'], description: 'ineligible_email' }) eligibility?: string;
  @ApiPropertyOptional({ description: 'ineligible_email: SHA-256 hex of the matching address form' }) matchedHash?: string;
  @ApiPropertyOptional({ description: 'invalid_account_transition: the current status' }) from?: string;
  @ApiPropertyOptional({ description: 'invalid_account_transition: the requested status' }) to?: string;
  @ApiPropertyOptional({ description: '5xx: quote it when reporting the failure' }) requestId?: string;
}
