import { Body, Controller, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { CurrentPerson, Roles } from '@loomworks/auth';
import { ApiErrors, ApiIdempotencyKey, IdempotencyKey } from '@loomworks/common';
import type { Person } from '@loomworks/persons';
import { AdminBulkGrantsService } from '../admin-bulk-grants.service';
import { BulkGrantResultSchema } from '../views';
import { BulkGrantsDto, BulkGrantsQueryDto } from './dto';

/** Bulk grants from a CSV file or JSON (API.md `POST /admin/grants/bulk`). */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'forbidden')
@Roles('admin')
@Controller('admin/grants/bulk')
export class BulkGrantsController {
  constructor(private readonly bulk: AdminBulkGrantsService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Issue grants from a CSV file (header recipientEmail,asset,kind,amount[,expiresInDays][,note]) or JSON {grants}, at most 10,000 rows: each row issued (claim URL mailed, audited), ineligible or invalid on its own; dryRun=true checks and issues nothing; Idempotency-Key required otherwise',
  })
  @ApiIdempotencyKey()
  @ApiConsumes('application/json', 'text/csv')
  @ApiExtraModels(BulkGrantsDto)
  @ApiBody({
    schema: { oneOf: [{ $ref: getSchemaPath(BulkGrantsDto) }, { type: 'string', description: 'text/csv' }] },
  })
  @ApiOkResponse({ type: BulkGrantResultSchema })
  @ApiErrors('validation_failed', 'idempotency_key_required', 'idempotency_key_reused', 'idempotency_key_in_progress', 'payload_too_large')
  issue(@CurrentPerson() actor: Person, @Query() query: BulkGrantsQueryDto, @Body() body: unknown, @IdempotencyKey() key?: string): Promise<BulkGrantResultSchema> {
    return this.bulk.issue(actor, body, query.dryRun === 'true', key);
  }
}
