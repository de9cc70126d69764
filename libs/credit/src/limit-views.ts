/**
 * API.md's `Limit {amount, period}` (DESIGN.md "Spend limits and team pools"): the request body
 * (validated) and the answer shape, shared by every route that sets or shows a limit.
 */
import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { LIMIT_PERIODS, type LimitPeriod, type Member, type SpendLimit } from '@loomworks/persons';
import type { CreditSeam } from './credit-seam';

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

/** API.md's MemberView: a member of a team with their limit within its pool and what they spent from it this period. */
export class MemberViewSchema {
  @ApiProperty({ format: 'uuid' }) personId!: string;
  @ApiProperty() email!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: ['owner', 'member'] }) role!: 'owner' | 'member';
  @ApiProperty({ type: LimitSchema, nullable: true, description: 'the member’s limit within the pool' }) limit!: LimitSchema | null;
  @ApiProperty({ description: 'credits the pool was charged for the member’s turns and calls in the current period of their limit (the month when none)' })
  spentThisPeriod!: number;
}


/** MemberViews with what each member spent from the pool in the current period of their limit (the month when none). */
export async function memberViews(credit: CreditSeam, engagementId: string, members: Member[]): Promise<MemberViewSchema[]> {
  const spent = await credit.spentThisPeriod(members.map((m) => ({ scope: { kind: 'member', engagementId, personId: m.personId }, period: shownPeriod(m.limit) })));
  return members.map((m, i) => ({
    personId: m.personId,
    email: m.email,
    displayName: m.displayName,
    role: m.role,
    limit: limitView(m.limit),
    spentThisPeriod: Number(spent[i]),
  }));
}
