import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPerson } from '@loomworks/auth';
import { ApiErrors, mapPage, PageQueryDto } from '@loomworks/common';
import { LlmCallLog, LlmCallPageSchema, llmCallView, MemberUsageQueryDto, timeRange, UsageReportSchema, usageGroupView } from '@loomworks/llm';
import type { Person } from '@loomworks/persons';

/** A member's own provider calls and usage (DESIGN.md "The LLM call log and usage"). */
@ApiTags('usage')
@ApiBearerAuth()
@ApiErrors('unauthenticated', 'validation_failed')
@Controller('me')
export class UsageController {
  constructor(private readonly calls: LlmCallLog) {}

  @Get('llm-calls')
  @ApiOperation({ summary: 'My LLM calls, newest first: model, status, reported usage, hold and charge' })
  @ApiOkResponse({ type: LlmCallPageSchema })
  async llmCalls(@CurrentPerson() person: Person, @Query() query: PageQueryDto): Promise<LlmCallPageSchema> {
    return mapPage(await this.calls.list({ personId: person.id }, query), llmCallView);
  }

  @Get('usage')
  @ApiOperation({ summary: 'My calls, tokens and credits per UTC day or per model, summed by the server' })
  @ApiOkResponse({ type: UsageReportSchema })
  async usage(@CurrentPerson() person: Person, @Query() query: MemberUsageQueryDto): Promise<UsageReportSchema> {
    const groups = await this.calls.usage({ groupBy: query.groupBy ?? 'day', personId: person.id, ...timeRange(query) });
    return { items: groups.map(usageGroupView) };
  }
}
