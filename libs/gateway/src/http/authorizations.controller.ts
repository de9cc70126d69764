import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsObject, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { Public } from '@loomworks/auth';
import { ApiErrors, ApiIdempotencyKey, IdempotencyKey, uuidParam, ValidationFailedError } from '@loomworks/common';
import { AuthorizationsGateway } from '../authorizations.gateway';
import { IdempotencyKeyRequiredError } from '../domain/errors';
import { AuthorizationViewSchema } from '../views';
import { ServiceKeyGuard, ServiceKeyId } from './service-key.guard';

const MAX = Number.MAX_SAFE_INTEGER;
/** metadata is the caller's own reference (an order, a job): a small JSON object */
const MAX_METADATA_CHARACTERS = 4096;

class AuthorizeDto {
  @ApiPropertyOptional({ format: 'uuid', description: "the person whose own credit is held (or engagementId: a team pool's)" })
  @IsOptional()
  @IsUUID()
  personId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "a team engagement whose pool's credit is held" })
  @IsOptional()
  @IsUUID()
  engagementId?: string;

  @ApiProperty({ minimum: 1, maximum: MAX })
  @IsInt()
  @Min(1)
  @Max(MAX)
  amount!: number;

  @ApiPropertyOptional({ description: 'the asset to hold; absent: the first in tier priority whose balance covers the amount' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  asset?: string;

  @ApiPropertyOptional({ minimum: 1, description: 'from 1 to authorization_max_seconds (its default)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX)
  expiresInSeconds?: number;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: `the caller's references, at most ${MAX_METADATA_CHARACTERS} characters as JSON` })
  @IsOptional()
  @IsObject()
  metadata?: Record<string, unknown>;
}

class CaptureDto {
  @ApiProperty({ minimum: 0, maximum: MAX, description: 'at most the authorized amount; the rest goes back to the payer' })
  @IsInt()
  @Min(0)
  @Max(MAX)
  amount!: number;
}

/** Authorizations (DESIGN.md "Authorizations and refunds"): another service of the operator holds, captures and voids credit. */
@ApiTags('authorizations')
@ApiBearerAuth()
@Controller('credit/authorizations')
@Public() // authenticated by a service key, not a session
@UseGuards(ServiceKeyGuard)
@ApiErrors('invalid_service_key')
export class AuthorizationsController {
  constructor(private readonly authorizations: AuthorizationsGateway) {}

  @Post()
  @ApiOperation({ summary: "Holds credit of a person or a team pool for the calling service's work (limits and account status apply)" })
  @ApiHeader({ name: 'Idempotency-Key', required: true, schema: { type: 'string', minLength: 1, maxLength: 255 }, description: 'required: the same key and body return the first answer again (24 h)' })
  @ApiCreatedResponse({ type: AuthorizationViewSchema })
  @ApiErrors(
    'validation_failed', 'idempotency_key_required', 'unknown_asset', 'invalid_amount', 'credit_exhausted', 'person_not_found', 'engagement_not_found',
    ['account_suspended', 409], 'account_deleted', 'limit_reached', 'idempotency_key_reused', 'idempotency_key_in_progress',
  )
  authorize(@ServiceKeyId() serviceKeyId: string, @Body() body: AuthorizeDto, @IdempotencyKey() key?: string): Promise<AuthorizationViewSchema> {
    if (key === undefined) throw new IdempotencyKeyRequiredError();
    if (body.metadata !== undefined && JSON.stringify(body.metadata).length > MAX_METADATA_CHARACTERS) {
      throw new ValidationFailedError([{ field: 'metadata', message: `metadata must be at most ${MAX_METADATA_CHARACTERS} characters as JSON` }]);
    }
    return this.authorizations.authorize(serviceKeyId, body, key);
  }

  @Get(':id')
  @ApiOperation({ summary: 'An authorization' })
  @ApiOkResponse({ type: AuthorizationViewSchema })
  @ApiErrors('validation_failed', 'authorization_not_found')
  get(@Param('id', uuidParam('id')) id: string): Promise<AuthorizationViewSchema> {
    return this.authorizations.get(id);
  }

  @Post(':id/capture')
  @HttpCode(200)
  @ApiOperation({ summary: 'Charges up to the authorized amount; the rest goes back to the payer' })
  @ApiIdempotencyKey()
  @ApiOkResponse({ type: AuthorizationViewSchema })
  @ApiErrors(
    'validation_failed', 'authorization_not_found', 'capture_exceeds_authorization', 'authorization_not_active', 'authorization_expired',
    'idempotency_key_reused', 'idempotency_key_in_progress',
  )
  capture(@Param('id', uuidParam('id')) id: string, @Body() body: CaptureDto, @IdempotencyKey() key?: string): Promise<AuthorizationViewSchema> {
    return this.authorizations.capture(id, body.amount, key);
  }

  @Post(':id/void')
  @HttpCode(200)
  @ApiOperation({ summary: 'Returns the whole authorized amount to the payer' })
  @ApiOkResponse({ type: AuthorizationViewSchema })
  @ApiErrors('validation_failed', 'authorization_not_found', 'authorization_not_active')
  void(@Param('id', uuidParam('id')) id: string): Promise<AuthorizationViewSchema> {
    return this.authorizations.void(id);
  }
}
