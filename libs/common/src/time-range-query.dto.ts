import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';

/** `?from=&to=`: ISO 8601 instants, `from` inclusive, `to` exclusive, both optional (API.md "Time ranges"). */
export class TimeRangeQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'inclusive' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'exclusive' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

/** A validated range as services take it. */
export const dateRange = (q: { from?: string; to?: string }): { from?: Date; to?: Date } => ({
  ...(q.from !== undefined && { from: new Date(q.from) }),
  ...(q.to !== undefined && { to: new Date(q.to) }),
});
