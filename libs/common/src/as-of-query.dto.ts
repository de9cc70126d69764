import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';

/** `?asOf=`: an ISO 8601 instant, not in the future (the service checks that against the clock). */
export class AsOfQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'the balances at this past instant (flows created at or before it)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  asOf?: string;
}
