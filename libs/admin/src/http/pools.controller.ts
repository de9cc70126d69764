import { Body, Controller, Get, Inject, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentPerson, Roles } from '@loomworks/auth';
import { ApiErrors, ApiIdempotencyKey, IdempotencyKey, uuidParam } from '@loomworks/common';
import { BalanceSchema, CREDIT_SEAM, creditSummaryView, FlowViewSchema, HoldViewSchema, MemberViewSchema, memberViews, type CreditSeam } from '@loomworks/credit';
import { PersonsService, type Person } from '@loomworks/persons';
import { AdminLedgerService } from '../admin-ledger.service';
import { AdjustmentDto } from './dto';

class PoolCreditSchema {
  @ApiProperty({ type: [BalanceSchema] }) balances!: BalanceSchema[];
  @ApiProperty({ type: [HoldViewSchema], description: "the pool's active holds" }) holds!: HoldViewSchema[];
  @ApiProperty({ type: [MemberViewSchema] }) members!: MemberViewSchema[];
}

/** Staff fund team pools (DESIGN.md "Spend limits and team pools"). */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'forbidden')
@Roles('admin')
@Controller('admin/engagements')
export class PoolsController {
  constructor(
    private readonly ledger: AdminLedgerService,
    private readonly persons: PersonsService,
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
  ) {}

  @Get(':id/credit')
  @ApiOperation({ summary: "A team pool's balances, active holds and members with their limits and spend this period" })
  @ApiOkResponse({ type: PoolCreditSchema })
  @ApiErrors('validation_failed', 'engagement_not_found')
  async poolCredit(@Param('id', uuidParam('id')) id: string): Promise<PoolCreditSchema> {
    await this.persons.requireTeam(id);
    const { balances, holds } = creditSummaryView(await this.credit.poolCreditSummary(id));
    return { balances, holds, members: await memberViews(this.credit, id, await this.persons.members(id)) };
  }

  @Post(':id/adjustments')
  @ApiOperation({ summary: "Fund (or debit) a team engagement's pool: a signed adjustment with a reason, audited" })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: FlowViewSchema })
  @ApiErrors('validation_failed', 'unknown_asset', 'invalid_amount', 'engagement_not_found', 'idempotency_key_reused', 'idempotency_key_in_progress', 'ledger_key_reused')
  adjust(@CurrentPerson() actor: Person, @Param('id', uuidParam('id')) id: string, @Body() body: AdjustmentDto, @IdempotencyKey() key?: string): Promise<FlowViewSchema> {
    return this.ledger.adjustPool(actor, id, body, key);
  }
}
