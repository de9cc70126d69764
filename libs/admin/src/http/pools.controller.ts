import { Body, Controller, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentPerson, Roles } from '@loomworks/auth';
import { ApiErrors, ApiIdempotencyKey, IdempotencyKey, PageQueryDto, uuidParam } from '@loomworks/common';
import { BalanceSchema, CREDIT_SEAM, creditSummaryView, flowView, FlowViewSchema, HoldViewSchema, MemberViewSchema, memberViews, type CreditSeam } from '@loomworks/credit';
import { LedgerService } from '@loomworks/credit/staff';
import { PersonsService, type Person } from '@loomworks/persons';
import { AdminLedgerService } from '../admin-ledger.service';
import { AdjustmentDto } from './dto';

class PoolCreditSchema {
  @ApiProperty({ type: [BalanceSchema] }) balances!: BalanceSchema[];
  @ApiProperty({ type: [HoldViewSchema], description: "the pool's active holds" }) holds!: HoldViewSchema[];
  @ApiProperty({ type: [MemberViewSchema] }) members!: MemberViewSchema[];
  @ApiProperty({ type: [FlowViewSchema], description: "the pool's flows, newest first (`limit`, `cursor`): its fundings, holds and charges — what staff refund" })
  flows!: FlowViewSchema[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
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
    private readonly flows: LedgerService,
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
  ) {}

  @Get(':id/credit')
  @ApiOperation({ summary: "A team pool's balances, active holds, members with their limits and spend this period, and its flows (newest first)" })
  @ApiOkResponse({ type: PoolCreditSchema })
  @ApiErrors('validation_failed', 'engagement_not_found')
  async poolCredit(@Param('id', uuidParam('id')) id: string, @Query() page: PageQueryDto): Promise<PoolCreditSchema> {
    await this.persons.requireTeam(id);
    const [summary, members, flows] = await Promise.all([this.credit.poolCreditSummary(id), this.persons.members(id), this.flows.poolFlows(id, page)]);
    const { balances, holds } = creditSummaryView(summary);
    return { balances, holds, members: await memberViews(this.credit, id, members), flows: flows.items.map(flowView), nextCursor: flows.nextCursor };
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
