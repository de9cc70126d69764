import { Controller, Get, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Roles } from '@loomworks/auth';
import { ApiErrors } from '@loomworks/common';
import { FINDING_KINDS, ReconcilerService, type ReconciliationRun } from '@loomworks/operations';

class FindingSchema {
  @ApiProperty({ enum: FINDING_KINDS }) kind!: string;
  @ApiProperty({ description: 'ids and amounts (amounts as decimal strings)', type: 'object', additionalProperties: true })
  detail!: Record<string, unknown>;
}

export class ReconciliationRunSchema {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['schedule', 'manual'] }) trigger!: string;
  @ApiProperty({ format: 'date-time' }) startedAt!: string;
  @ApiProperty({ format: 'date-time' }) finishedAt!: string;
  @ApiProperty() ok!: boolean;
  @ApiProperty({ type: [FindingSchema] }) findings!: FindingSchema[];
}

const runView = (run: ReconciliationRun): ReconciliationRunSchema => ({
  id: run.id,
  trigger: run.trigger,
  startedAt: run.startedAt.toISOString(),
  finishedAt: run.finishedAt.toISOString(),
  ok: run.ok,
  findings: run.findings,
});

@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'forbidden')
@Roles('admin')
@Controller('admin/reconciliation')
export class ReconciliationController {
  constructor(private readonly reconciler: ReconcilerService) {}

  @Get()
  @ApiOperation({ summary: "The reconciler's latest run" })
  @ApiOkResponse({ type: ReconciliationRunSchema })
  @ApiErrors('unauthenticated', 'forbidden', 'reconciliation_not_found')
  async latest(): Promise<ReconciliationRunSchema> {
    return runView(await this.reconciler.latest());
  }

  @Post()
  @ApiOperation({ summary: 'Run the reconciler now (waits for a run in progress elsewhere)' })
  @ApiCreatedResponse({ type: ReconciliationRunSchema })
  async run(): Promise<ReconciliationRunSchema> {
    return runView(await this.reconciler.runNow());
  }
}
