import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPerson, Roles } from '@loomworks/auth';
import { ErrorResponse, PageQueryDto, ValidationFailedError } from '@loomworks/common';
import { FlowViewSchema, GrantPageSchema, GrantViewSchema, IssuedGrantSchema } from '@loomworks/credit';
import { type Person, PersonViewSchema } from '@loomworks/persons';
import { AdminService } from '../admin.service';
import { AuditService } from '../audit.service';
import { MailLogService } from '../mail-log.service';
import { RecoveryLinksService } from '../recovery-links.service';
import { AdjustmentDto, ConfigValueDto, EmailQueryDto, GrantQueryDto, IssueGrantDto, MailQueryDto, RateDto, SendEmailDto } from './dto';
import { EligibilitySchema, LedgerVerificationSchema, MailLogPageSchema, RecoveryLinkSchema, PersonCreditSchema, PersonListSchema } from './view-schemas';

const Uuid = new ParseUUIDPipe({ exceptionFactory: () => new ValidationFailedError([{ field: 'id', message: 'id must be a UUID' }]) });

@ApiTags('admin')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'unauthenticated', type: ErrorResponse })
@ApiResponse({ status: 403, description: 'forbidden (not an admin)', type: ErrorResponse })
@Roles('admin')
@Controller('admin')
export class AdminController {
  constructor(
    private readonly admin: AdminService,
    private readonly audit: AuditService,
    private readonly mailLog: MailLogService,
    private readonly recoveryLinks: RecoveryLinksService,
  ) {}

  @Post('persons/:id/recovery')
  @ApiOperation({ summary: 'A one-time recovery link for the person (mailed unless sendEmail: false); an earlier unused link dies' })
  @ApiCreatedResponse({ type: RecoveryLinkSchema })
  @ApiResponse({ status: 404, description: 'person_not_found', type: ErrorResponse })
  @ApiResponse({ status: 409, description: 'invalid_account_transition (a deleted person)', type: ErrorResponse })
  issueRecovery(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string, @Body() body: SendEmailDto = {}) {
    return this.recoveryLinks.issue(actor, id, body?.sendEmail);
  }

  @Get('mail')
  @ApiOperation({ summary: 'Mails sent or queued, newest first: recipient, template, status, attempts (never a body or a link)' })
  @ApiOkResponse({ type: MailLogPageSchema })
  @ApiResponse({ status: 400, description: 'validation_failed', type: ErrorResponse })
  listMail(@Query() query: MailQueryDto) {
    return this.mailLog.list(query);
  }

  @Post('grants')
  @ApiOperation({ summary: 'Issue a credit grant; answers its claim URL (shown once)' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: IssuedGrantSchema })
  @ApiResponse({ status: 400, description: 'validation_failed | unknown_asset | invalid_email', type: ErrorResponse })
  @ApiResponse({ status: 409, description: 'ineligible_email {eligibility, matchedHash} | idempotency_key_reused', type: ErrorResponse })
  issueGrant(@CurrentPerson() actor: Person, @Body() body: IssueGrantDto, @Headers('idempotency-key') key?: string) {
    return this.admin.issueGrant(actor, body, key);
  }

  @Get('grants')
  @ApiOperation({ summary: 'Grants, newest first; filter by status and by exact or normalized email' })
  @ApiOkResponse({ type: GrantPageSchema })
  listGrants(@Query() query: GrantQueryDto) {
    return this.admin.listGrants(query);
  }

  @Post('grants/:id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an unclaimed grant' })
  @ApiOkResponse({ type: GrantViewSchema })
  @ApiResponse({ status: 404, description: 'grant_not_found', type: ErrorResponse })
  @ApiResponse({ status: 409, description: 'grant_already_claimed', type: ErrorResponse })
  revoke(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string) {
    return this.admin.revokeGrant(actor, id);
  }

  @Post('grants/:id/reissue')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new claim URL for a grant; the old one stops working' })
  @ApiOkResponse({ type: IssuedGrantSchema })
  @ApiResponse({ status: 404, description: 'grant_not_found', type: ErrorResponse })
  @ApiResponse({ status: 409, description: 'grant_already_claimed', type: ErrorResponse })
  @ApiResponse({ status: 410, description: 'grant_revoked', type: ErrorResponse })
  reissue(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string, @Body() body: SendEmailDto = {}) {
    return this.admin.reissueGrant(actor, id, body?.sendEmail);
  }

  @Get('eligibility')
  @ApiOperation({ summary: 'Could this address receive a grant?' })
  @ApiOkResponse({ type: EligibilitySchema })
  eligibility(@Query() query: EmailQueryDto) {
    return this.admin.eligibility(query.email);
  }

  @Get('persons')
  @ApiOperation({ summary: 'Find persons by exact or normalized address (deleted ones by their kept hash)' })
  @ApiOkResponse({ type: PersonListSchema })
  searchPersons(@Query() query: EmailQueryDto) {
    return this.admin.searchPersons(query.email);
  }

  @Post('persons/:id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend an account (sessions are kept; system-key turns stop)' })
  @ApiOkResponse({ type: PersonViewSchema })
  @ApiResponse({ status: 404, description: 'person_not_found', type: ErrorResponse })
  @ApiResponse({ status: 409, description: 'invalid_account_transition {from, to}', type: ErrorResponse })
  suspend(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string) {
    return this.admin.changeAccount(actor, id, 'suspend');
  }

  @Post('persons/:id/reactivate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reactivate a suspended account' })
  @ApiOkResponse({ type: PersonViewSchema })
  @ApiResponse({ status: 404, description: 'person_not_found', type: ErrorResponse })
  @ApiResponse({ status: 409, description: 'invalid_account_transition {from, to}', type: ErrorResponse })
  reactivate(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string) {
    return this.admin.changeAccount(actor, id, 'reactivate');
  }

  @Post('persons/:id/delete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete an account: balances zeroed, email anonymised, sessions ended' })
  @ApiOkResponse({ type: PersonViewSchema })
  @ApiResponse({ status: 404, description: 'person_not_found', type: ErrorResponse })
  @ApiResponse({ status: 409, description: 'invalid_account_transition {from, to}', type: ErrorResponse })
  delete(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string) {
    return this.admin.changeAccount(actor, id, 'delete');
  }

  @Post('persons/:id/adjustments')
  @ApiOperation({ summary: 'A signed manual adjustment with a reason' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: FlowViewSchema })
  @ApiResponse({ status: 404, description: 'person_not_found', type: ErrorResponse })
  @ApiResponse({ status: 409, description: 'idempotency_key_reused | idempotency_key_in_progress', type: ErrorResponse })
  adjust(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string, @Body() body: AdjustmentDto, @Headers('idempotency-key') key?: string) {
    return this.admin.adjust(actor, id, body, key);
  }

  @Get('persons/:id/credit')
  @ApiOperation({ summary: "A person's balances and flows (newest first)" })
  @ApiOkResponse({ type: PersonCreditSchema })
  @ApiResponse({ status: 404, description: 'person_not_found', type: ErrorResponse })
  personCredit(@Param('id', Uuid) id: string, @Query() query: PageQueryDto) {
    return this.admin.personCredit(id, query);
  }

  @Get('ledger/verify')
  @ApiOperation({ summary: 'Check the ledger invariants' })
  @ApiOkResponse({ type: LedgerVerificationSchema })
  verifyLedger() {
    return this.admin.verifyLedger();
  }

  @Get('audit')
  @ApiOperation({ summary: 'The admin audit trail, newest first' })
  auditTrail(@Query() query: PageQueryDto) {
    return this.audit.list(query);
  }

  @Get('rates')
  @ApiOperation({ summary: 'The oracle rates in force' })
  rates() {
    return this.admin.rates();
  }

  @Put('rates')
  @ApiOperation({ summary: 'Set a rate from now on (past charges keep theirs)' })
  setRate(@CurrentPerson() actor: Person, @Body() body: RateDto) {
    return this.admin.setRate(actor, body);
  }

  @Get('config')
  @ApiOperation({ summary: 'The typed settings (secrets as set/unset)' })
  config() {
    return this.admin.configView();
  }

  @Put('config/:key')
  @ApiOperation({ summary: 'Change a setting' })
  @ApiResponse({ status: 400, description: 'unknown_setting | invalid_setting', type: ErrorResponse })
  setConfig(@CurrentPerson() actor: Person, @Param('key') key: string, @Body() body: ConfigValueDto) {
    return this.admin.setConfig(actor, key, body.value);
  }
}
