import { Body, Controller, Delete, HttpCode, Inject, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentPerson, Roles } from '@loomworks/auth';
import { ApiErrors, uuidParam } from '@loomworks/common';
import { CREDIT_SEAM, LimitDto, LimitSchema, limitOf, limitView, shownPeriod, type CreditSeam, type SpendLimit } from '@loomworks/credit';
import { Transactions } from '@loomworks/database';
import type { Person } from '@loomworks/persons';
import { AuditService } from '../audit.service';

class StaffLimitSchema {
  @ApiProperty({ type: LimitSchema, nullable: true, description: "staff's limit on the person's own credit" }) limit!: LimitSchema | null;
  @ApiProperty({ type: LimitSchema, nullable: true, description: "the person's own limit; per period the lower of the two applies" }) selfLimit!: LimitSchema | null;
  @ApiProperty({ description: "credits the person's own credit was charged in the current period of staff's limit (the month when none)" })
  spentThisPeriod!: number;
}

/** Staff's limits on persons' own credit (DESIGN.md "Spend limits and team pools"), audited. */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'forbidden')
@Roles('admin')
@Controller('admin/persons/:id/limit')
export class AdminLimitsController {
  constructor(
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
    private readonly audit: AuditService,
    private readonly transactions: Transactions,
  ) {}

  @Put()
  @ApiOperation({ summary: "Sets staff's limit on what a person's own credit may spend per period (audited)" })
  @ApiOkResponse({ type: StaffLimitSchema })
  @ApiErrors('validation_failed', 'person_not_found')
  async set(@CurrentPerson() actor: Person, @Param('id', uuidParam('id')) personId: string, @Body() body: LimitDto): Promise<StaffLimitSchema> {
    const limits = await this.change(actor, personId, limitOf(body));
    const period = shownPeriod(limits.staffLimit, limits.selfLimit);
    const [spent] = await this.credit.spentThisPeriod([{ scope: { kind: 'person', personId }, period }]);
    return { limit: limitView(limits.staffLimit), selfLimit: limitView(limits.selfLimit), spentThisPeriod: Number(spent) };
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: "Removes staff's limit on a person's own credit (audited)" })
  @ApiNoContentResponse()
  @ApiErrors('validation_failed', 'person_not_found')
  async remove(@CurrentPerson() actor: Person, @Param('id', uuidParam('id')) personId: string): Promise<void> {
    await this.change(actor, personId, null);
  }

  private change(actor: Person, personId: string, limit: SpendLimit | null) {
    return this.transactions.run(async (tx) => {
      const limits = await this.credit.setPersonLimit(personId, 'staff', limit, tx);
      await this.audit.record(tx, {
        actorPersonId: actor.id,
        action: limit ? 'person.limit_set' : 'person.limit_removed',
        subjectType: 'person',
        subjectId: personId,
        details: limit ? { amount: Number(limit.amount), period: limit.period } : {},
      });
      return limits;
    });
  }
}
