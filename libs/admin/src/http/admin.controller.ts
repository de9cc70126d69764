import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPerson, Roles } from '@loomworks/auth';
import { ApiCsvResponse, ApiErrors, ApiIdempotencyKey, dateRange, IdempotencyKey, PageQueryDto, TimeRangeQueryDto, uuidParam } from '@loomworks/common';
import { ApiCreditOrAsOf, type CreditAsOfSchema, FlowViewSchema, GrantPageSchema, GrantViewSchema, IssuedGrantSchema } from '@loomworks/credit';
import { type Person, PersonViewSchema } from '@loomworks/persons';
import { AdminAccountsService } from '../admin-accounts.service';
import { AdminGrantsService } from '../admin-grants.service';
import { AdminLedgerService } from '../admin-ledger.service';
import { AdminSettingsService } from '../admin-settings.service';
import { AuditService } from '../audit.service';
import { MailLogService } from '../mail-log.service';
import { RecoveryLinksService } from '../recovery-links.service';
import { AdjustmentDto, ConfigValueDto, EmailQueryDto, GrantQueryDto, IssueGrantDto, MailQueryDto, PersonCreditQueryDto, PersonQueryDto, RateDto, ReissueGrantDto, SendEmailDto, VerifyQueryDto } from './dto';
import {
  AuditPageSchema,
  EligibilitySchema,
  LedgerVerificationSchema,
  MailLogPageSchema,
  PersonCreditSchema,
  PersonListSchema,
  RateTableSchema,
  RecoveryLinkSchema,
  SettingsSchema,
} from '../views';

const Uuid = uuidParam('id');

@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'forbidden')
@Roles('admin')
@Controller('admin')
export class AdminController {
  constructor(
    private readonly grants: AdminGrantsService,
    private readonly accounts: AdminAccountsService,
    private readonly ledger: AdminLedgerService,
    private readonly settings: AdminSettingsService,
    private readonly audit: AuditService,
    private readonly mailLog: MailLogService,
    private readonly recoveryLinks: RecoveryLinksService,
  ) {}

  @Post('persons/:id/recovery')
  @ApiOperation({ summary: 'A one-time recovery link for the person (mailed unless sendEmail: false); an earlier unused link dies' })
  @ApiCreatedResponse({ type: RecoveryLinkSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'person_not_found', 'invalid_account_transition')
  issueRecovery(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string, @Body() body: SendEmailDto = {}): Promise<RecoveryLinkSchema> {
    return this.recoveryLinks.issue(actor, id, body?.sendEmail);
  }

  @Get('mail')
  @ApiOperation({ summary: 'Mails sent or queued, newest first: recipient, template, status, attempts (never a body or a link)' })
  @ApiOkResponse({ type: MailLogPageSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed')
  listMail(@Query() query: MailQueryDto): Promise<MailLogPageSchema> {
    return this.mailLog.list(query);
  }

  @Post('grants')
  @ApiOperation({ summary: 'Issue a credit grant; answers its claim URL (shown once)' })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: IssuedGrantSchema })
  @ApiErrors(
    'unauthenticated',
    'forbidden',
    'validation_failed',
    'unknown_asset',
    'invalid_amount',
    'invalid_email',
    'person_not_found',
    'ineligible_email',
    'idempotency_key_reused',
    'idempotency_key_in_progress',
  )
  issueGrant(@CurrentPerson() actor: Person, @Body() body: IssueGrantDto, @IdempotencyKey() key?: string): Promise<IssuedGrantSchema> {
    return this.grants.issueGrant(actor, body, key);
  }

  @Get('grants')
  @ApiOperation({ summary: 'Grants, newest first; filter by status and by exact or normalized email' })
  @ApiOkResponse({ type: GrantPageSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed')
  listGrants(@Query() query: GrantQueryDto): Promise<GrantPageSchema> {
    return this.grants.listGrants(query);
  }

  @Post('grants/:id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an unclaimed grant' })
  @ApiOkResponse({ type: GrantViewSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'grant_not_found', 'grant_already_claimed')
  revoke(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string): Promise<GrantViewSchema> {
    return this.grants.revokeGrant(actor, id);
  }

  @Post('grants/:id/reissue')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new claim URL for a grant; the old one stops working; the expiry stays unless expiresInDays is given' })
  @ApiOkResponse({ type: IssuedGrantSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'grant_not_found', 'grant_already_claimed', 'grant_revoked')
  reissue(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string, @Body() body: ReissueGrantDto = {}): Promise<IssuedGrantSchema> {
    return this.grants.reissueGrant(actor, id, body ?? {});
  }

  @Get('eligibility')
  @ApiOperation({ summary: 'Could this address receive a grant?' })
  @ApiOkResponse({ type: EligibilitySchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'invalid_email')
  eligibility(@Query() query: EmailQueryDto): Promise<EligibilitySchema> {
    return this.grants.eligibility(query.email);
  }

  @Get('persons')
  @ApiOperation({ summary: 'Persons newest first: by part of an address or name (q), or by exact or normalized address (email; deleted ones by their kept hash)' })
  @ApiOkResponse({ type: PersonListSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'invalid_email')
  searchPersons(@Query() query: PersonQueryDto): Promise<PersonListSchema> {
    return this.accounts.searchPersons(query);
  }

  @Get('persons/:id')
  @ApiOperation({ summary: 'One person' })
  @ApiOkResponse({ type: PersonViewSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'person_not_found')
  person(@Param('id', Uuid) id: string): Promise<PersonViewSchema> {
    return this.accounts.person(id);
  }

  @Post('persons/:id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend an account (sessions are kept; system-key turns stop)' })
  @ApiOkResponse({ type: PersonViewSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'person_not_found', 'invalid_account_transition')
  suspend(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string): Promise<PersonViewSchema> {
    return this.accounts.changeAccount(actor, id, 'suspend');
  }

  @Post('persons/:id/reactivate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reactivate a suspended account' })
  @ApiOkResponse({ type: PersonViewSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'person_not_found', 'invalid_account_transition')
  reactivate(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string): Promise<PersonViewSchema> {
    return this.accounts.changeAccount(actor, id, 'reactivate');
  }

  @Post('persons/:id/delete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete an account: balances zeroed, email anonymised, sessions ended' })
  @ApiOkResponse({ type: PersonViewSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'person_not_found', 'invalid_account_transition')
  delete(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string): Promise<PersonViewSchema> {
    return this.accounts.changeAccount(actor, id, 'delete');
  }

  @Post('persons/:id/adjustments')
  @ApiOperation({ summary: 'A signed manual adjustment with a reason' })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: FlowViewSchema })
  @ApiErrors(
    'unauthenticated',
    'forbidden',
    'validation_failed',
    'unknown_asset',
    'invalid_amount',
    'person_not_found',
    'account_deleted',
    'idempotency_key_reused',
    'idempotency_key_in_progress',
    'ledger_key_reused',
  )
  adjust(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string, @Body() body: AdjustmentDto, @IdempotencyKey() key?: string): Promise<FlowViewSchema> {
    return this.ledger.adjust(actor, id, body, key);
  }

  @Get('persons/:id/credit')
  @ApiOperation({ summary: "A person's balances and flows (newest first); with asOf, the ledger balances at that past instant" })
  @ApiCreditOrAsOf(PersonCreditSchema)
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'person_not_found')
  personCredit(@Param('id', Uuid) id: string, @Query() query: PersonCreditQueryDto): Promise<PersonCreditSchema | CreditAsOfSchema> {
    return query.asOf === undefined ? this.ledger.personCredit(id, query) : this.ledger.personCreditAsOf(id, new Date(query.asOf));
  }

  @Get('ledger/verify')
  @ApiOperation({ summary: 'Check the ledger invariants (full=true: recompute everything from the flows and every seal)' })
  @ApiOkResponse({ type: LedgerVerificationSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed')
  verifyLedger(@Query() query: VerifyQueryDto): Promise<LedgerVerificationSchema> {
    return this.ledger.verifyLedger(query.full === 'true');
  }

  @Get('ledger/export')
  @ApiOperation({
    summary: 'Every flow in a time range as CSV, in id order, streamed from a server-side cursor (seal_id: the seal covering the flow); audited; one export per staff member at a time',
  })
  @ApiCsvResponse('id,created_at,kind,asset,amount,from_party,to_party,person_id,grant_id,idempotency_key,seal_id')
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'rate_limited')
  exportLedger(@CurrentPerson() actor: Person, @Query() query: TimeRangeQueryDto): Promise<StreamableFile> {
    return this.ledger.exportLedger(actor, dateRange(query));
  }

  @Get('audit')
  @ApiOperation({ summary: 'The admin audit trail, newest first' })
  @ApiOkResponse({ type: AuditPageSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed')
  auditTrail(@Query() query: PageQueryDto): Promise<AuditPageSchema> {
    return this.audit.list(query);
  }

  @Get('rates')
  @ApiOperation({ summary: 'The oracle rates in force' })
  @ApiOkResponse({ type: RateTableSchema })
  rates(): Promise<RateTableSchema> {
    return this.settings.rates();
  }

  @Put('rates')
  @ApiOperation({ summary: 'Set a rate from now on (past charges keep theirs)' })
  @ApiOkResponse({ type: RateTableSchema, description: 'the rate table with the change' })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'invalid_rate')
  setRate(@CurrentPerson() actor: Person, @Body() body: RateDto): Promise<RateTableSchema> {
    return this.settings.setRate(actor, body);
  }

  @Get('config')
  @ApiOperation({ summary: 'The typed settings (secrets as set/unset)' })
  @ApiOkResponse({ type: SettingsSchema })
  config(): Promise<SettingsSchema> {
    return this.settings.configView();
  }

  @Put('config/:key')
  @ApiOperation({ summary: 'Change a setting' })
  @ApiOkResponse({ type: SettingsSchema, description: 'the settings with the change' })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed', 'unknown_setting', 'invalid_setting')
  setConfig(@CurrentPerson() actor: Person, @Param('key') key: string, @Body() body: ConfigValueDto): Promise<SettingsSchema> {
    return this.settings.setConfig(actor, key, body.value);
  }
}
