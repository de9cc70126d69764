import { Body, Controller, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPerson, Roles } from '@loomworks/auth';
import { ApiErrors, ApiIdempotencyKey, IdempotencyKey, uuidParam } from '@loomworks/common';
import { FlowViewSchema } from '@loomworks/credit';
import type { Person } from '@loomworks/persons';
import { AdminLedgerService } from '../admin-ledger.service';
import { AdjustmentDto } from './dto';

/** Staff fund team pools (DESIGN.md "Spend limits and team pools"). */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'forbidden')
@Roles('admin')
@Controller('admin/engagements')
export class PoolsController {
  constructor(private readonly ledger: AdminLedgerService) {}

  @Post(':id/adjustments')
  @ApiOperation({ summary: "Fund (or debit) a team engagement's pool: a signed adjustment with a reason, audited" })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: FlowViewSchema })
  @ApiErrors('validation_failed', 'unknown_asset', 'invalid_amount', 'engagement_not_found', 'idempotency_key_reused', 'idempotency_key_in_progress', 'ledger_key_reused')
  adjust(@CurrentPerson() actor: Person, @Param('id', uuidParam('id')) id: string, @Body() body: AdjustmentDto, @IdempotencyKey() key?: string): Promise<FlowViewSchema> {
    return this.ledger.adjustPool(actor, id, body, key);
  }
}
