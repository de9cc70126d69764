import { createServer, type Server } from 'node:http';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@loomworks/config';
import { MetricsService } from './metrics.service';

/**
 * METRICS_PORT: a listener of its own that answers `GET /metrics` without a token and nothing
 * else, on METRICS_HOST (loopback unless told otherwise): the port Prometheus scrapes from inside
 * the deployment, never the public API's.
 */
@Injectable()
export class MetricsListener implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MetricsListener.name);
  private server?: Server;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { port, host } = this.config.metrics;
    if (port === undefined) return;
    const server = createServer((request, response) => {
      const path = (request.url ?? '').split('?')[0];
      if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
        response.writeHead(404, { 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify({ statusCode: 404, error: 'not_found', message: 'Only GET /metrics is served on this port' }));
        return;
      }
      this.metrics.scrape().then(
        (scrape) => {
          response.writeHead(200, { 'content-type': scrape.contentType });
          response.end(request.method === 'HEAD' ? undefined : scrape.body);
        },
        (error: unknown) => {
          this.logger.error(`metrics scrape failed: ${error instanceof Error ? error.message : String(error)}`);
          response.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
          response.end(JSON.stringify({ statusCode: 500, error: 'internal_error', message: 'The scrape failed' }));
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
  }

  async beforeApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
