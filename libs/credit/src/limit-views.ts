/**
 * API.md's `Limit {amount, period}` (DESIGN.md "Spend limits and team pools"): the request body
 * (validated) and the answer shape, shared by every route that sets or shows a limit.
 */
import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { LIMIT_PERIODS, type LimitPeriod, type SpendLimit } from '@loomworks/persons';

export class LimitDto {
  @ApiProperty({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'credits of any asset per period' })
  @IsInt()
  @Min(1)
  @Max(Number.MAX_SAFE_INTEGER)
  amount!: number;

  @ApiProperty({ enum: LIMIT_PERIODS, description: 'UTC calendar periods: the day, the ISO week from Monday, the month' })
  @IsIn(LIMIT_PERIODS)
  period!: LimitPeriod;
}

export class LimitSchema {
  @ApiProperty({ description: 'credits of any asset per period' }) amount!: number;
  @ApiProperty({ enum: LIMIT_PERIODS, description: 'UTC calendar periods' }) period!: LimitPeriod;
}

export const limitOf = (dto: LimitDto): SpendLimit => ({ amount: BigInt(dto.amount), period: dto.period });
export const limitView = (limit: SpendLimit | null): LimitSchema | null => limit && { amount: Number(limit.amount), period: limit.period };

/** The period whose spend a view shows beside a limit: the limit's, or the month when none applies. */
export const shownPeriod = (...limits: (SpendLimit | null)[]): LimitPeriod => limits.find((l) => l !== null)?.period ?? 'month';
