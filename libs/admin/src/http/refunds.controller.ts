import { Body, Controller, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, IsUUID, Length, Max, Min } from 'class-validator';
import { CurrentPerson, Roles } from '@loomworks/auth';
import { ApiErrors, ApiIdempotencyKey, IdempotencyKey } from '@loomworks/common';
import type { Person } from '@loomworks/persons';
import { AdminRefundsService } from '../admin-refunds.service';
import { RefundSchema } from '../views';

class RefundDto {
  @ApiPropertyOptional({ format: 'uuid', description: "a turn (the assistant turn's id): its stages' charges" })
  @IsOptional()
  @IsUUID()
  turnId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: "an LLM call: a turn's stage or a Messages API request" })
  @IsOptional()
  @IsUUID()
  callId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'a captured authorization' })
  @IsOptional()
  @IsUUID()
  authorizationId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'credits; absent: all that is left of the charge' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  amount?: number;

  @ApiProperty({ minLength: 1, maxLength: 1000 })
  @IsString()
  @Length(1, 1000)
  reason!: string;
}

/** Staff refund a charge (DESIGN.md "Authorizations and refunds"). */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'forbidden')
@Roles('admin')
@Controller('admin/refunds')
export class RefundsController {
  constructor(private readonly refunds: AdminRefundsService) {}

  @Post()
  @ApiOperation({ summary: 'Refunds a turn, an LLM call or a captured authorization, whole or in part (never more than it charged in total); audited' })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: RefundSchema })
  @ApiErrors(
    'validation_failed', 'invalid_amount', 'turn_not_found', 'call_not_found', 'authorization_not_found', 'refund_exceeds_charge',
    'idempotency_key_reused', 'idempotency_key_in_progress',
  )
  refund(@CurrentPerson() actor: Person, @Body() body: RefundDto, @IdempotencyKey() key?: string): Promise<RefundSchema> {
    return this.refunds.refund(actor, body, key);
  }
}
