import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '@loomworks/auth';
import { ApiErrors, Meters, UnauthenticatedError } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { StateGauges } from '../state-gauges';

const digest = (value: string) => createHash('sha256').update(value).digest();

@ApiTags('ops')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly meters: Meters,
    private readonly gauges: StateGauges,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Public()
  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (Authorization: Bearer METRICS_TOKEN when it is set)' })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text format' })
  @ApiErrors('unauthenticated')
  async metrics(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    if (this.config.metricsToken !== undefined && !this.bearerMatches(authorization, this.config.metricsToken)) {
      throw new UnauthenticatedError();
    }
    await this.gauges.refresh();
    void reply.header('content-type', this.meters.registry.contentType);
    return this.meters.registry.metrics();
  }

  /** Compared as digests in constant time, so the answer's timing tells nothing about the token. */
  private bearerMatches(header: string | undefined, token: string): boolean {
    const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    return timingSafeEqual(digest(given), digest(token));
  }
}
