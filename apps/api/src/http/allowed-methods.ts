import type { FastifyInstance, HTTPMethods } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';

/**
 * Which methods a path has routes for, so a request with another method is a 405 with `Allow`
 * instead of a 404. Fastify's router only answers "this method and path"; a second router of the
 * same library, fed every route Fastify registers (onRoute), answers "any method on this path".
 */
export class AllowedMethods {
  private readonly router: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;
  private readonly methods = new Set<string>();

  /** Call before any route is registered: the hook sees only later routes. */
  static track(fastify: FastifyInstance, maxParamLength: number): AllowedMethods {
    const index = new AllowedMethods(maxParamLength);
    fastify.addHook('onRoute', (route) => {
      for (const method of ([] as HTTPMethods[]).concat(route.method)) index.add(method, route.url ?? route.path);
    });
    return index;
  }

  private constructor(maxParamLength: number) {
    this.router = FindMyWay({ maxParamLength });
  }

  private add(method: string, url: string): void {
    this.methods.add(method.toUpperCase());
    try {
      this.router.on(method.toUpperCase() as HTTPMethod, url, () => undefined);
    } catch {
      // Already known: the same path registered again (e.g. under a constraint) allows the same method.
    }
  }

  /** The methods with a route matching `url` (path and query), in a stable order; empty when none. */
  for(url: string): string[] {
    return [...this.methods].filter((method) => this.router.find(method as HTTPMethod, url) !== null).sort();
  }
}
