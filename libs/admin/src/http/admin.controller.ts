import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPerson, Roles } from '@loomworks/auth';
import { PageQueryDto, ValidationFailedError } from '@loomworks/common';
import type { Person } from '@loomworks/persons';
import { AdminService } from '../admin.service';
import { AuditService } from '../audit.service';
import { AdjustmentDto, ConfigValueDto, EmailQueryDto, GrantQueryDto, IssueGrantDto, RateDto } from './dto';

const Uuid = new ParseUUIDPipe({ exceptionFactory: () => new ValidationFailedError([{ field: 'id', message: 'id must be a UUID' }]) });

@ApiTags('admin')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'unauthenticated' })
@ApiResponse({ status: 403, description: 'forbidden (not an admin)' })
@Roles('admin')
@Controller('admin')
export class AdminController {
  constructor(
    private readonly admin: AdminService,
    private readonly audit: AuditService,
  ) {}

  @Post('grants')
  @ApiOperation({ summary: 'Issue a credit grant; answers its claim URL (shown once)' })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiResponse({ status: 201, description: '{grant: GrantView, claimUrl}' })
  @ApiResponse({ status: 400, description: 'validation_failed | unknown_asset | invalid_email' })
  @ApiResponse({ status: 409, description: 'ineligible_email {eligibility, matchedHash} | idempotency_key_reused' })
  issueGrant(@CurrentPerson() actor: Person, @Body() body: IssueGrantDto, @Headers('idempotency-key') key?: string) {
    return this.admin.issueGrant(actor, body, key);
  }

  @Get('grants')
  @ApiOperation({ summary: 'Grants, newest first; filter by status and by exact or normalized email' })
  listGrants(@Query() query: GrantQueryDto) {
    return this.admin.listGrants(query);
  }

  @Post('grants/:id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an unclaimed grant' })
  @ApiResponse({ status: 404, description: 'grant_not_found' })
  @ApiResponse({ status: 409, description: 'grant_already_claimed' })
  revoke(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string) {
    return this.admin.revokeGrant(actor, id);
  }

  @Post('grants/:id/reissue')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new claim URL for a grant; the old one stops working' })
  @ApiResponse({ status: 404, description: 'grant_not_found' })
  @ApiResponse({ status: 409, description: 'grant_already_claimed' })
  @ApiResponse({ status: 410, description: 'grant_revoked' })
  reissue(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string) {
    return this.admin.reissueGrant(actor, id);
  }

  @Get('eligibility')
  @ApiOperation({ summary: 'Could this address receive a grant?' })
  eligibility(@Query() query: EmailQueryDto) {
    return this.admin.eligibility(query.email);
  }

  @Get('persons')
  @ApiOperation({ summary: 'Find persons by exact or normalized address (deleted ones by their kept hash)' })
  searchPersons(@Query() query: EmailQueryDto) {
    return this.admin.searchPersons(query.email);
  }

  @Post('persons/:id/suspend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Suspend an account (sessions are kept; system-key turns stop)' })
  @ApiResponse({ status: 404, description: 'person_not_found' })
  @ApiResponse({ status: 409, description: 'invalid_account_transition {from, to}' })
  suspend(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string) {
    return this.admin.changeAccount(actor, id, 'suspend');
  }

  @Post('persons/:id/reactivate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Reactivate a suspended account' })
  @ApiResponse({ status: 404, description: 'person_not_found' })
  @ApiResponse({ status: 409, description: 'invalid_account_transition {from, to}' })
  reactivate(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string) {
    return this.admin.changeAccount(actor, id, 'reactivate');
  }

  @Post('persons/:id/delete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete an account: balances zeroed, email anonymised, sessions ended' })
  @ApiResponse({ status: 404, description: 'person_not_found' })
  @ApiResponse({ status: 409, description: 'invalid_account_transition {from, to}' })
  delete(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string) {
    return this.admin.changeAccount(actor, id, 'delete');
  }

  @Post('persons/:id/adjustments')
  @ApiOperation({ summary: 'A signed manual adjustment with a reason' })
  @ApiResponse({ status: 201, description: 'FlowView' })
  @ApiResponse({ status: 404, description: 'person_not_found' })
  adjust(@CurrentPerson() actor: Person, @Param('id', Uuid) id: string, @Body() body: AdjustmentDto) {
    return this.admin.adjust(actor, id, body);
  }

  @Get('persons/:id/credit')
  @ApiOperation({ summary: "A person's balances and flows (newest first)" })
  @ApiResponse({ status: 404, description: 'person_not_found' })
  personCredit(@Param('id', Uuid) id: string, @Query() query: PageQueryDto) {
    return this.admin.personCredit(id, query);
  }

  @Get('ledger/verify')
  @ApiOperation({ summary: 'Check the ledger invariants' })
  verifyLedger() {
    return this.admin.verifyLedger();
  }

  @Get('audit')
  @ApiOperation({ summary: 'The admin audit trail, newest first' })
  auditTrail(@Query() query: PageQueryDto) {
    return this.audit.list(query.limit, query.cursor);
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
  @ApiResponse({ status: 400, description: 'unknown_setting | invalid_setting' })
  setConfig(@CurrentPerson() actor: Person, @Param('key') key: string, @Body() body: ConfigValueDto) {
    return this.admin.setConfig(actor, key, body.value);
  }
}
