import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '@loomworks/common';
import { LLM_CALL_STATUSES, type LlmCallStatus, type UsageGroupBy } from './domain/llm-call';

// The query strings of the call-log routes (a member's under /me, staff's under /admin), checked before any SQL.

/** `from` inclusive, `to` exclusive, ISO 8601 instants, both optional (API.md "Time ranges"). */
class TimeRangeDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'inclusive' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'exclusive' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class MemberUsageQueryDto extends TimeRangeDto {
  @ApiPropertyOptional({ enum: ['day', 'model'], default: 'day' })
  @IsOptional()
  @IsIn(['day', 'model'])
  groupBy?: Exclude<UsageGroupBy, 'payer'>;
}

export class StaffUsageQueryDto extends TimeRangeDto {
  @ApiPropertyOptional({ enum: ['day', 'model', 'payer'], default: 'day' })
  @IsOptional()
  @IsIn(['day', 'model', 'payer'])
  groupBy?: UsageGroupBy;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  personId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  engagementId?: string;
}

export class StaffLlmCallQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  personId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  engagementId?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  @ApiPropertyOptional({ enum: LLM_CALL_STATUSES })
  @IsOptional()
  @IsIn(LLM_CALL_STATUSES)
  status?: LlmCallStatus;
}

/** A validated range as the service takes it. */
export const timeRange = (q: { from?: string; to?: string }) => ({
  ...(q.from !== undefined && { from: new Date(q.from) }),
  ...(q.to !== undefined && { to: new Date(q.to) }),
});
