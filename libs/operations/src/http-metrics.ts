import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { Meters } from '@loomworks/common';

/**
 * Counts every answered request and its duration, labelled by the route template
 * (`/admin/persons/:id/credit`, never the concrete path, so ids don't explode the label set);
 * requests that matched no route are labelled `unmatched`.
 */
@Injectable()
export class HttpMetrics implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly meters: Meters,
  ) {}

  onModuleInit(): void {
    // An application context (benches, CLIs) has no HTTP server.
    const fastify = this.adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!fastify?.addHook) return;
    fastify.addHook('onResponse', (request, reply, done) => {
      const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
      this.meters.httpRequests.inc(labels);
      this.meters.httpDuration.observe(labels, reply.elapsedTime / 1000);
      done();
    });
  }
}
