import { ApiProperty, ApiPropertyOptional, PickType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsEmail,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  MaxLength,
  Min,
  NotEquals,
} from 'class-validator';
import { PageQueryDto } from '@loomworks/common';
import { GRANT_KINDS, GRANT_STATUSES, TOKEN_KINDS, type GrantKind, type GrantStatus, type TokenKind } from '@loomworks/credit';
import { EVENT_TYPES, JOB_STATUSES, type JobStatus } from '@loomworks/outbox';

const MAX = Number.MAX_SAFE_INTEGER;

export class IssueGrantDto {
  @ApiProperty({ example: 'ada@example.com' })
  @IsEmail()
  @MaxLength(254)
  recipientEmail!: string;

  @ApiProperty({ example: 'sonnet', description: 'a configured credit tier' })
  @IsString()
  @Length(1, 100)
  asset!: string;

  @ApiProperty({ enum: GRANT_KINDS })
  @IsIn(GRANT_KINDS)
  kind!: GrantKind;

  @ApiProperty({ minimum: 1, maximum: MAX })
  @IsInt()
  @Min(1)
  @Max(MAX)
  amount!: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 3650 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  expiresInDays?: number;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUUID()
  referrerPersonId?: string;

  @ApiPropertyOptional({ description: 'issue to a non-eligible address; requires `note`' })
  @IsOptional()
  @IsBoolean()
  overrideEligibility?: boolean;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  note?: string;

  @ApiPropertyOptional({ description: 'false: the claim URL is not mailed (default true)' })
  @IsOptional()
  @IsBoolean()
  sendEmail?: boolean;
}

export class SendEmailDto {
  @ApiPropertyOptional({ description: 'false: nothing is mailed (default true)' })
  @IsOptional()
  @IsBoolean()
  sendEmail?: boolean;
}

export class ReissueGrantDto extends SendEmailDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 3650, description: 'a new expiry, that many days from now (else the grant keeps its own; an expired one gets the default)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  expiresInDays?: number;
}

export class MailQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptional()
  @IsIn(JOB_STATUSES)
  status?: JobStatus;
}

export class GrantQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: GRANT_STATUSES })
  @IsOptional()
  @IsIn(GRANT_STATUSES)
  status?: GrantStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsEmail()
  email?: string;
}

export class EmailQueryDto {
  @ApiProperty()
  @IsEmail()
  @MaxLength(254)
  email!: string;
}

export class PersonQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'exact or normalized address (deleted persons by their kept hash); one page' })
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ description: 'part of an address or a name, any case' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;
}

export class AdjustmentDto {
  @ApiProperty({ example: 'haiku' })
  @IsString()
  @Length(1, 100)
  asset!: string;

  @ApiProperty({ description: 'signed, non-zero', example: -50 })
  @IsInt()
  @NotEquals(0)
  @Min(-MAX)
  @Max(MAX)
  amount!: number;

  @ApiProperty()
  @IsString()
  @Length(1, 1000)
  reason!: string;
}

export class RateDto {
  @ApiProperty({ example: 'claude-sonnet-4-6' })
  @IsString()
  @Length(1, 200)
  model!: string;

  @ApiProperty({ enum: TOKEN_KINDS })
  @IsIn(TOKEN_KINDS)
  tokenKind!: TokenKind;

  @ApiProperty({ minimum: 1, description: 'credits per million tokens' })
  @IsInt()
  @Min(1)
  @Max(MAX)
  creditsPerMillion!: number;
}

export class ConfigValueDto {
  @ApiProperty({ description: "the setting's typed value" })
  @IsDefined()
  value!: unknown;
}

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://hooks.example.com/loomworks', description: 'https (http too when WEBHOOK_ALLOW_HTTP=true), a public host' })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ enum: EVENT_TYPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_TYPES.length)
  @IsIn(EVENT_TYPES, { each: true })
  events!: string[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class EventQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptional()
  @IsIn(EVENT_TYPES)
  type?: string;
}

/** `?full=true|false`: a query string carries text, so the two words are the only booleans taken. */
export class VerifyQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'true: recompute balances, the held account and every seal from the flows' })
  @IsOptional()
  @IsIn(['true', 'false'])
  full?: 'true' | 'false';
}

export class ReconcileDto {
  @ApiPropertyOptional({ enum: [true], description: 'also recompute every balance and every seal from the flows' })
  @IsOptional()
  @IsIn([true])
  full?: true;
}

/** `GET /admin/persons/:id/credit?limit=&cursor=&asOf=` */
export class PersonCreditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'the ledger balances at this past instant (flows created at or before it)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  asOf?: string;
}

/**
 * One row of a bulk grant file (API.md: `recipientEmail,asset,kind,amount[,expiresInDays][,note]`),
 * checked row by row: a single grant's fields with their rules (PickType carries the validators
 * and the schema), without what a file doesn't say — a referrer, an eligibility override, the
 * mail choice.
 */
export class BulkGrantRowDto extends PickType(IssueGrantDto, ['recipientEmail', 'asset', 'kind', 'amount', 'expiresInDays', 'note'] as const) {}

/** The JSON form of a bulk grant upload: `{grants: [...]}` (each row checked on its own). */
export class BulkGrantsDto {
  @ApiProperty({ type: [BulkGrantRowDto], maxItems: 10_000 })
  grants!: unknown[];
}

/** `?dryRun=true`: check every row, issue nothing. */
export class BulkGrantsQueryDto {
  @ApiPropertyOptional({ enum: ['true', 'false'] })
  @IsOptional()
  @IsIn(['true', 'false'])
  dryRun?: 'true' | 'false';
}
