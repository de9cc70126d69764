import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { Meters } from '@loomworks/common';

/** Methods that keep their own label value on unmatched requests; any other is `other`. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * Counts every answered request and its duration, labelled by the route template
 * (`/admin/persons/:id/credit`, never the concrete path, so ids don't explode the label set);
 * requests that matched no route are labelled `unmatched`, with an unusual method as `other`,
 * so no request can add label values beyond what the routes define.
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
      const route = request.routeOptions.url;
      const method = route !== undefined || KNOWN_METHODS.has(request.method) ? request.method : 'other';
      const labels = { method, route: route ?? 'unmatched' };
      this.meters.httpRequests.inc({ ...labels, status: String(reply.statusCode) });
      this.meters.httpDuration.observe(labels, reply.elapsedTime / 1000);
      done();
    });
  }
}
