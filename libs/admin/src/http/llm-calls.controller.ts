import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@loomworks/auth';
import { ApiErrors, mapPage } from '@loomworks/common';
import {
  LlmCallLog,
  StaffLlmCallPageSchema,
  StaffLlmCallQueryDto,
  staffLlmCallView,
  StaffUsageQueryDto,
  StaffUsageReportSchema,
  staffUsageGroupView,
  timeRange,
} from '@loomworks/llm';

/** Everyone's provider calls and usage, for staff: what was billed, what was charged, what nobody paid for. */
@ApiTags('admin')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'forbidden', 'validation_failed')
@Roles('admin')
@Controller('admin')
export class LlmCallsController {
  constructor(private readonly calls: LlmCallLog) {}

  @Get('llm-calls')
  @ApiOperation({ summary: 'Every LLM call, newest first, filtered by person, engagement, model or status' })
  @ApiOkResponse({ type: StaffLlmCallPageSchema })
  async list(@Query() query: StaffLlmCallQueryDto): Promise<StaffLlmCallPageSchema> {
    const { limit, cursor, ...filter } = query;
    return mapPage(await this.calls.list(filter, { limit, cursor }), staffLlmCallView);
  }

  @Get('usage')
  @ApiOperation({ summary: 'Calls, tokens, credits and absorbed calls (billed by the provider, charged to nobody) per UTC day, model or payer' })
  @ApiOkResponse({ type: StaffUsageReportSchema })
  async usage(@Query() query: StaffUsageQueryDto): Promise<StaffUsageReportSchema> {
    const groups = await this.calls.usage({ groupBy: query.groupBy ?? 'day', personId: query.personId, engagementId: query.engagementId, ...timeRange(query) });
    return { items: groups.map(staffUsageGroupView) };
  }
}
