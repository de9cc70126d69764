import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@loomworks/auth';
import { ApiErrors, DomainError, UnauthenticatedError } from '@loomworks/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { MetricsService } from '../metrics.service';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Headers a reverse proxy adds: a request that carries one came from elsewhere, whatever its socket says. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

class MetricsNotPublicError extends DomainError {
  readonly code = 'not_found';
  constructor() {
    super('GET /metrics answers here only with METRICS_TOKEN, to loopback clients, or on METRICS_PORT');
  }
}

/** A loopback socket address (127.0.0.0/8, ::1, or 127.x mapped into IPv6). */
function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return (isIP(v4) === 4 && v4.startsWith('127.')) || address === '::1';
}

@ApiTags('ops')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Never an anonymous public route: with METRICS_TOKEN set, the bearer token is required; without
   * it, only a loopback client that came through no proxy is answered (METRICS_PORT serves others).
   */
  @Public()
  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (Authorization: Bearer METRICS_TOKEN; without a token only to loopback clients; or on METRICS_PORT)' })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'Prometheus text format, reused for up to a second' })
  @ApiErrors('unauthenticated', 'not_found')
  async scrape(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const token = this.config.metrics.token;
    if (token !== undefined) {
      if (!this.bearerMatches(request.headers.authorization, token)) throw new UnauthenticatedError();
    } else if (!isLoopback(request.socket.remoteAddress) || FORWARDING_HEADERS.some((h) => request.headers[h] !== undefined)) {
      throw new MetricsNotPublicError();
    }
    const scrape = await this.metrics.scrape();
    void reply.header('content-type', scrape.contentType);
    return scrape.body;
  }

  /** Compared as digests in constant time, so the answer's timing tells nothing about the token. */
  private bearerMatches(header: string | undefined, token: string): boolean {
    const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    return timingSafeEqual(digest(given), digest(token));
  }
}
