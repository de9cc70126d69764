import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ErrorResponse, LlmKeyDto, PageQueryDto } from '@loomworks/common';
import { creditSummaryView, CREDIT_SEAM, type CreditSeam, CreditViewSchema, FlowPageSchema, flowView, jsonAmount } from '@loomworks/credit';
import { IdempotencyService } from '@loomworks/database';
import { type Person, PersonsService, PersonViewSchema, toPersonView } from '@loomworks/persons';
import { CurrentPerson } from './decorators';
import { ClaimTokenDto } from './dto';
import { ClaimResultSchema, EngagementListSchema } from './view-schemas';

@ApiTags('me')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'unauthenticated', type: ErrorResponse })
@Controller('me')
export class MeController {
  constructor(
    private readonly persons: PersonsService,
    private readonly idempotency: IdempotencyService,
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The signed-in person' })
  @ApiOkResponse({ type: PersonViewSchema })
  me(@CurrentPerson() person: Person) {
    return toPersonView(person);
  }

  @Get('credit')
  @ApiOperation({ summary: 'Balances (spendable and held), the tier they buy, and the active holds' })
  @ApiOkResponse({ type: CreditViewSchema })
  async credit_(@CurrentPerson() person: Person) {
    return creditSummaryView(await this.credit.creditSummary(person.id));
  }

  @Get('flows')
  @ApiOperation({ summary: 'Ledger flows, newest first' })
  @ApiOkResponse({ type: FlowPageSchema })
  async flows(@CurrentPerson() person: Person, @Query() query: PageQueryDto) {
    const page = await this.credit.personFlows(person.id, { limit: query.limit, cursor: query.cursor });
    return { items: page.items.map(flowView), nextCursor: page.nextCursor };
  }

  @Get('engagements')
  @ApiOperation({ summary: 'Engagements the person belongs to' })
  @ApiOkResponse({ type: EngagementListSchema })
  async engagements(@CurrentPerson() person: Person) {
    return { items: await this.persons.listEngagements(person.id) };
  }

  @Post('claims')
  @ApiOperation({ summary: "Claim a grant addressed to the signed-in person's email" })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: ClaimResultSchema })
  @ApiResponse({ status: 409, description: 'grant_already_claimed | idempotency_key_reused', type: ErrorResponse })
  claim(@CurrentPerson() person: Person, @Body() body: ClaimTokenDto, @Headers('idempotency-key') key?: string) {
    return this.idempotency.run(`me.claims:${person.id}`, key, body, async (tx) => {
      const result = await this.credit.claimGrant({ claimToken: body.claimToken, personId: person.id, email: person.email }, tx);
      return { grantId: result.grantId, asset: result.asset, amount: jsonAmount(result.amount), balanceAfter: jsonAmount(result.balanceAfter) };
    });
  }

  @Put('llm-key')
  @HttpCode(204)
  @ApiOperation({ summary: 'Store the own LLM key (encrypted; never returned)' })
  async setLlmKey(@CurrentPerson() person: Person, @Body() body: LlmKeyDto) {
    await this.persons.setPersonLlmKey(person.id, body.apiKey);
  }

  @Delete('llm-key')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove the own LLM key' })
  async deleteLlmKey(@CurrentPerson() person: Person) {
    await this.persons.setPersonLlmKey(person.id, null);
  }
}
