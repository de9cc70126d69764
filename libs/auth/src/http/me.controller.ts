import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Put, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiCsvResponse,
  ApiErrors,
  ApiIdempotencyKey,
  AsOfQueryDto,
  csvFile,
  dateRange,
  IdempotencyKey,
  LlmKeyDto,
  mapPage,
  PageQueryDto,
  TimeRangeQueryDto,
} from '@loomworks/common';
import {
  ApiCreditOrAsOf,
  creditAsOfView,
  CreditAsOfSchema,
  creditSummaryView,
  CREDIT_SEAM,
  type CreditSeam,
  CreditViewSchema,
  FlowPageSchema,
  MEMBER_FLOW_CSV_COLUMNS,
  memberFlowView,
} from '@loomworks/credit';
import { type Person, PersonsService, PersonViewSchema, toPersonView } from '@loomworks/persons';
import { ClaimsService } from '../claims.service';
import { CurrentPerson } from './decorators';
import { ClaimTokenDto } from './dto';
import { ClaimResultSchema, EngagementListSchema, LlmKeyStatusSchema } from '../views';

@ApiTags('me')
@ApiBearerAuth()
@ApiErrors('unauthenticated')
@Controller('me')
export class MeController {
  constructor(
    private readonly persons: PersonsService,
    private readonly claims: ClaimsService,
    @Inject(CREDIT_SEAM) private readonly credit: CreditSeam,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The signed-in person' })
  @ApiOkResponse({ type: PersonViewSchema })
  me(@CurrentPerson() person: Person): PersonViewSchema {
    return toPersonView(person);
  }

  @Get('credit')
  @ApiOperation({ summary: 'Balances (spendable and held), the tier they buy, and the active holds; with asOf, the ledger balances at that past instant' })
  @ApiCreditOrAsOf(CreditViewSchema)
  @ApiErrors('unauthenticated', 'validation_failed')
  async credit_(@CurrentPerson() person: Person, @Query() query: AsOfQueryDto): Promise<CreditViewSchema | CreditAsOfSchema> {
    if (query.asOf !== undefined) {
      const at = new Date(query.asOf);
      return creditAsOfView(await this.credit.balancesAsOf(person.id, at), at);
    }
    return creditSummaryView(await this.credit.creditSummary(person.id));
  }

  @Get('flows')
  @ApiOperation({ summary: 'Ledger flows, newest first (metadata: only references to the own holds, turns and grants; never staff notes or ids)' })
  @ApiOkResponse({ type: FlowPageSchema })
  @ApiErrors('unauthenticated', 'validation_failed')
  async flows(@CurrentPerson() person: Person, @Query() query: PageQueryDto): Promise<FlowPageSchema> {
    return mapPage(await this.credit.personFlows(person.id, { limit: query.limit, cursor: query.cursor }), memberFlowView);
  }

  @Get('flows.csv')
  @ApiOperation({ summary: 'The own flows in a time range as CSV, oldest first, streamed (reference: the idempotency key; formula-like cells neutralised); one export at a time' })
  @ApiCsvResponse('id,created_at,kind,asset,amount,direction,counterparty,reference')
  @ApiErrors('unauthenticated', 'validation_failed', 'rate_limited')
  async flowsCsv(@CurrentPerson() person: Person, @Query() query: TimeRangeQueryDto): Promise<StreamableFile> {
    return csvFile('flows.csv', MEMBER_FLOW_CSV_COLUMNS, await this.credit.personFlowRows(person.id, dateRange(query)));
  }

  @Get('engagements')
  @ApiOperation({ summary: 'Engagements the person belongs to' })
  @ApiOkResponse({ type: EngagementListSchema })
  async engagements(@CurrentPerson() person: Person): Promise<EngagementListSchema> {
    return { items: await this.persons.listEngagements(person.id) };
  }

  @Post('claims')
  @ApiOperation({ summary: "Claim a grant addressed to the signed-in person's email" })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: ClaimResultSchema })
  @ApiErrors(
    'unauthenticated',
    'validation_failed',
    'grant_not_found',
    'grant_already_claimed',
    'grant_expired',
    'grant_revoked',
    'grant_email_mismatch',
    'invalid_amount',
    'idempotency_key_reused',
    'idempotency_key_in_progress',
  )
  claim(@CurrentPerson() person: Person, @Body() body: ClaimTokenDto, @IdempotencyKey() key?: string): Promise<ClaimResultSchema> {
    return this.claims.claimForPerson({ person, claimToken: body.claimToken, idempotencyKey: key });
  }

  @Get('llm-key')
  @ApiOperation({ summary: 'Whether an own LLM key is stored (never the key)' })
  @ApiOkResponse({ type: LlmKeyStatusSchema })
  async llmKeyStatus(@CurrentPerson() person: Person): Promise<LlmKeyStatusSchema> {
    return { isSet: await this.persons.hasPersonLlmKey(person.id) };
  }

  @Put('llm-key')
  @HttpCode(204)
  @ApiOperation({ summary: 'Store the own LLM key (encrypted; never returned)' })
  @ApiNoContentResponse()
  @ApiErrors('unauthenticated', 'validation_failed')
  async setLlmKey(@CurrentPerson() person: Person, @Body() body: LlmKeyDto) {
    await this.persons.setPersonLlmKey(person.id, body.apiKey);
  }

  @Delete('llm-key')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove the own LLM key' })
  @ApiNoContentResponse()
  async deleteLlmKey(@CurrentPerson() person: Person) {
    await this.persons.setPersonLlmKey(person.id, null);
  }
}
