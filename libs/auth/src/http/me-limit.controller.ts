import { Body, Controller, Delete, Get, HttpCode, Inject, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@loomworks/common';
import { CREDIT_SEAM, LimitDto, LimitSchema, limitOf, limitView, shownPeriod, type CreditSeam, type PersonLimits } from '@loomworks/credit';
import type { Person } from '@loomworks/persons';
import { CurrentPerson } from './decorators';

class MeLimitSchema {
  @ApiProperty({ type: LimitSchema, nullable: true, description: "the person's own limit on their own credit" }) limit!: LimitSchema | null;
  @ApiProperty({ type: LimitSchema, nullable: true, description: "staff's limit; per period the lower of the two applies" }) staffLimit!: LimitSchema | null;
  @ApiProperty({ description: "credits the person's own credit was charged in the current period of their limit (the month when none)" })
  spentThisPeriod!: number;
}

/** A person's self-limit on their own credit (DESIGN.md "Spend limits and team pools"). */
@ApiTags('me')
@ApiBearerAuth()
@ApiErrors('unauthenticated')
@Controller('me/limit')
export class MeLimitController {
  constructor(@Inject(CREDIT_SEAM) private readonly credit: CreditSeam) {}

  @Get()
  @ApiOperation({ summary: 'The person’s own limit, staff’s, and what their own credit spent this period' })
  @ApiOkResponse({ type: MeLimitSchema })
  async show(@CurrentPerson() person: Person): Promise<MeLimitSchema> {
    return this.view(person.id, await this.credit.personLimits(person.id));
  }

  @Put()
  @ApiOperation({ summary: 'Sets a limit on what the person’s own credit may spend per period (the lower of it and staff’s applies)' })
  @ApiOkResponse({ type: MeLimitSchema })
  @ApiErrors('validation_failed')
  async set(@CurrentPerson() person: Person, @Body() body: LimitDto): Promise<MeLimitSchema> {
    return this.view(person.id, await this.credit.setPersonLimit(person.id, 'self', limitOf(body)));
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Removes the person’s own limit (staff’s stays)' })
  @ApiNoContentResponse()
  async remove(@CurrentPerson() person: Person): Promise<void> {
    await this.credit.setPersonLimit(person.id, 'self', null);
  }

  private async view(personId: string, limits: PersonLimits): Promise<MeLimitSchema> {
    const period = shownPeriod(limits.selfLimit, limits.staffLimit);
    const [spent] = await this.credit.spentThisPeriod([{ scope: { kind: 'person', personId }, period }]);
    return { limit: limitView(limits.selfLimit), staffLimit: limitView(limits.staffLimit), spentThisPeriod: Number(spent) };
  }
}
