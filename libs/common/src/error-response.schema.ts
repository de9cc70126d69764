import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Every error body (API.md): some codes add fields (`fields`, `eligibility`, `matchedHash`, `from`, `to`, `requestId`). */
export class ErrorResponse {
  @ApiProperty({ example: 404 }) statusCode!: number;
  @ApiProperty({ example: 'grant_not_found', description: 'snake_case code' }) error!: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ description: 'validation_failed: [{field, message}]' }) fields?: { field: string; message: string }[];
}
