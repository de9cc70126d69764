import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@loomworks/auth';
import { ApiErrors } from '@loomworks/common';
import { AdminReconciliationService } from '../admin-reconciliation.service';
import { ReconciliationRunSchema } from '../operations-views';
import { ReconcileDto } from './dto';

@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'forbidden')
@Roles('admin')
@Controller('admin/reconciliation')
export class ReconciliationController {
  constructor(private readonly reconciliation: AdminReconciliationService) {}

  @Get()
  @ApiOperation({ summary: "The reconciler's latest run" })
  @ApiOkResponse({ type: ReconciliationRunSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'reconciliation_not_found')
  latest(): Promise<ReconciliationRunSchema> {
    return this.reconciliation.latest();
  }

  @Post()
  @ApiOperation({ summary: 'Run the reconciler now (waits for a run in progress elsewhere); full: also recompute every seal' })
  @ApiCreatedResponse({ type: ReconciliationRunSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'validation_failed')
  run(@Body() body: ReconcileDto = {}): Promise<ReconciliationRunSchema> {
    return this.reconciliation.runNow(body?.full === true);
  }
}
